from __future__ import annotations

import sys
from typing import Literal

import typer

app = typer.Typer(help="Anomaly detection on your own series.", no_args_is_help=True)


@app.command()
def detect(
    file: str = typer.Argument(..., help="CSV with a `timestamp,value` header; `-` reads standard input"),
    interval: str = typer.Option(..., "--interval", help="Bucket size: 15m, 1h, 6h, 1d or 1w"),
    sigma: float = typer.Option(4.0, "--sigma", help="|z| at or above which a bucket is anomalous"),
    min_expected: float = typer.Option(0, "--min-expected", help="Optional floor: no verdict below this expected "
                                       "count (counts only)"),
    kind: Literal["count", "gauge"] = typer.Option(
        "count", "--kind", help="count: event volumes, judged by a count distribution (gaps read as 0); gauge: "
        "measurements (gaps stay unknown)"),
) -> None:
    """Write `timestamp,value,expected,lower,upper,z,anomaly` for each input row to standard output."""
    # the detector (numpy, pandas, scipy) is loaded when the command runs, not for every `tripl` command
    from tripl_core.analysis.anomaly_csv import detect_csv_path

    try:
        detect_csv_path(file, sys.stdout, interval, sigma, min_expected, stdin=sys.stdin, kind=kind)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
