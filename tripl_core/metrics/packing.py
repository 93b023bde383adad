"""The packed day rows of stored counts (models._SeriesDay): one UTC day of one series, its buckets as
little-endian int64, bucket i starting at day + i × step seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

DAY = timedelta(days=1)
DAY_SECONDS = 86_400
COUNT = np.dtype("<i8")


def slots(step: int) -> int:
    """Buckets per day row: a day's worth of sub-day buckets, one daily or weekly bucket (they start at
    midnight)."""
    return max(1, DAY_SECONDS // step)


def day_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def pack(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype=COUNT).tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=COUNT)


def points(day: datetime, step: int, blob: bytes, start: datetime | None = None,
           end: datetime | None = None) -> dict[datetime, int]:
    """The row's non-zero buckets in [start, end) (the whole day when not given), bucket → count."""
    values = unpack(blob)
    first, last = 0, len(values)
    if start is not None and start > day:
        first = min(last, -(-int((start - day).total_seconds()) // step))
    if end is not None:
        last = max(first, min(last, -(-int((end - day).total_seconds()) // step)))
    found = np.flatnonzero(values[first:last]) + first
    delta = timedelta(seconds=step)
    return {day + int(i) * delta: int(values[i]) for i in found}
