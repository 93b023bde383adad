"""CSV in, CSV out around ``detect``: the body of ``tripl anomalies detect FILE.csv``.

Input: a header with ``timestamp`` and ``value`` columns (others are ignored), ISO timestamps with
``Z``, an offset, or none (read as UTC). Output: ``timestamp,value,expected,lower,upper,z,anomaly``,
one row per input row in input order, timestamps in UTC with ``Z``, empty cells where there is no
verdict.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pandas as pd

from tripl_core.analysis.anomaly import detect
from tripl_core.analysis.detector_settings import DetectorSettings, SeriesKind

OUTPUT_COLUMNS = ("timestamp", "value", "expected", "lower", "upper", "z", "anomaly")
REQUIRED_COLUMNS = ("timestamp", "value")


def detect_csv(
    input: TextIO,
    output: TextIO,
    interval: str,
    sigma: float = 4.0,
    min_expected: float = 0,
    *,
    kind: SeriesKind = "count",
) -> None:
    """Read ``timestamp,value`` rows from ``input`` and write their verdicts to ``output``.

    Raises ValueError naming the line for a missing column, an unparsable timestamp or a non-numeric
    value; nothing is written then.
    """
    settings = DetectorSettings(sigma_threshold=sigma, min_expected_count=min_expected, kind=kind)
    timestamps, values = _read(input)
    if not timestamps:
        raise ValueError("no data rows after the header")
    series = pd.Series(values, index=pd.DatetimeIndex(timestamps))
    result = detect(series, interval, settings)
    _write(output, timestamps, result)


def detect_csv_path(
    path: str,
    output: TextIO,
    interval: str,
    sigma: float = 4.0,
    min_expected: float = 0,
    stdin: TextIO | None = None,
    *,
    kind: SeriesKind = "count",
) -> None:
    """``detect_csv`` on a file path, where ``-`` means ``stdin`` (the CLI's FILE argument)."""
    if path == "-":
        if stdin is None:
            raise ValueError("reading '-' needs a standard input stream")
        detect_csv(stdin, output, interval, sigma, min_expected, kind=kind)
        return
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"no such file: {path}")
    with file.open(newline="", encoding="utf-8") as handle:
        detect_csv(handle, output, interval, sigma, min_expected, kind=kind)


def _read(input: TextIO) -> tuple[list[datetime], list[float]]:
    reader = csv.DictReader(input)
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in fields]
    if missing:
        found = ", ".join(fields) if fields else "nothing"
        raise ValueError(f"missing column(s) {', '.join(missing)} in the header (found {found})")
    reader.fieldnames = fields
    timestamps: list[datetime] = []
    values: list[float] = []
    for line, row in _numbered(reader):
        timestamps.append(_timestamp(row.get("timestamp"), line))
        values.append(_value(row.get("value"), line))
    return timestamps, values


def _numbered(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for row in reader:
        if any((cell or "").strip() for cell in row.values() if isinstance(cell, str)):
            yield reader.line_num, row


def _timestamp(text: str | None, line: int) -> datetime:
    raw = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"line {line}: unparsable timestamp {raw!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _value(text: str | None, line: int) -> float:
    raw = (text or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"line {line}: value {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"line {line}: value {raw!r} is not a finite number")
    return value


def _write(output: TextIO, timestamps: list[datetime], result: pd.DataFrame) -> None:
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for stamp, row in zip(timestamps, result.itertuples(index=False), strict=True):
        has_verdict = not math.isnan(row.expected)
        writer.writerow(
            [
                stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                _number(row.value),
                _number(row.expected),
                _number(row.lower),
                _number(row.upper),
                _number(row.z),
                ("true" if row.is_anomaly else "false") if has_verdict else "",
            ]
        )


def _number(value: float) -> str:
    if math.isnan(value):
        return ""
    # Counts stay integers ("120", never "1.2e+02"); anything else gets fixed decimals, no exponent.
    return str(int(value)) if value.is_integer() else f"{value:.4f}"
