"""CSV in / CSV out around the detector (the `tripl anomalies detect` command body)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.anomaly import detect
from tripl_core.analysis.anomaly_csv import OUTPUT_COLUMNS, detect_csv, detect_csv_path


def counts_csv(days: int = 10, spike_at: int | None = None) -> tuple[str, pd.Series]:
    index = pd.date_range("2024-01-01", periods=days * 24, freq="1h", tz="UTC")
    values = np.random.default_rng(11).poisson(500, len(index)).astype(float)
    if spike_at is not None:
        values[spike_at] *= 3
    series = pd.Series(values, index=index)
    lines = ["timestamp,value"] + [f"{ts:%Y-%m-%dT%H:%M:%S}Z,{int(v)}" for ts, v in series.items()]
    return "\n".join(lines) + "\n", series


def run(text: str, interval: str = "1h", **kwargs: float) -> list[dict[str, str]]:
    out = io.StringIO()
    detect_csv(io.StringIO(text), out, interval, **kwargs)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_round_trip_matches_detect_one_row_per_input_row() -> None:
    spike = 9 * 24 + 5
    text, series = counts_csv(spike_at=spike)
    rows = run(text)
    expected = detect(series, "1h")
    assert len(rows) == len(series)
    assert list(rows[0]) == list(OUTPUT_COLUMNS)
    assert rows[0]["timestamp"] == "2024-01-01T00:00:00Z"
    assert rows[0]["expected"] == rows[0]["z"] == rows[0]["anomaly"] == ""
    assert rows[spike]["anomaly"] == "true"
    assert rows[spike - 1]["anomaly"] == "false"
    assert float(rows[spike]["expected"]) == pytest.approx(expected.loc[spike, "expected"], rel=1e-4)
    assert float(rows[spike]["z"]) == pytest.approx(expected.loc[spike, "z"], rel=1e-3)
    assert rows[spike]["value"] == str(int(series.iloc[spike]))


def test_offsets_and_naive_timestamps_are_utc_and_input_order_is_kept() -> None:
    text = "value,timestamp\n3,2024-01-02T01:00:00+01:00\n4,2024-01-01 23:00:00\n"
    rows = run(text)
    assert [r["timestamp"] for r in rows] == ["2024-01-02T00:00:00Z", "2024-01-01T23:00:00Z"]
    assert [r["value"] for r in rows] == ["3", "4"]


def test_sigma_and_min_expected_are_passed_through() -> None:
    spike = 9 * 24 + 5
    text, _ = counts_csv(spike_at=spike)
    assert run(text, min_expected=10_000)[spike]["anomaly"] == "false"
    assert run(text, sigma=1000)[spike]["anomaly"] == "false"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,value\n2024-01-01T00:00:00Z,1\n", r"missing column\(s\) timestamp"),
        ("", r"missing column\(s\) timestamp, value .*found nothing"),
        ("timestamp,value\n", "no data rows"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\nyesterday,2\n", "line 3: unparsable timestamp"),
        ("timestamp,value\n2024-01-01T00:00:00Z,many\n", "line 2: value 'many' is not a number"),
        ("timestamp,value\n2024-01-01T00:00:00Z,nan\n", "line 2: value 'nan' is not a finite number"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:10:00Z,2\n", "more than one value"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(text: str, message: str) -> None:
    out = io.StringIO()
    with pytest.raises(ValueError, match=message):
        detect_csv(io.StringIO(text), out, "15m")
    assert out.getvalue() == ""


def test_unknown_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown interval"):
        run("timestamp,value\n2024-01-01T00:00:00Z,1\n", interval="5m")


def test_path_reads_a_file_or_stdin_for_dash(tmp_path: Path) -> None:
    text, series = counts_csv(days=8)
    file = tmp_path / "series.csv"
    file.write_text(text)
    from_file, from_stdin = io.StringIO(), io.StringIO()
    detect_csv_path(str(file), from_file, "1h")
    detect_csv_path("-", from_stdin, "1h", stdin=io.StringIO(text))
    assert from_file.getvalue() == from_stdin.getvalue()
    assert from_file.getvalue().count("\n") == len(series) + 1
    with pytest.raises(ValueError, match="no such file"):
        detect_csv_path(str(file) + ".missing", io.StringIO(), "1h")
