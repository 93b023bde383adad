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


def _slice(day: datetime, step: int, size: int, start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """The row's bucket indexes [first, last) that start in [start, end) (the whole row when not given)."""
    first, last = 0, size
    if start is not None and start > day:
        first = min(last, -(-int((start - day).total_seconds()) // step))
    if end is not None:
        last = max(first, min(last, -(-int((end - day).total_seconds()) // step)))
    return first, last


def nonzero(day: datetime, step: int, blob: bytes, start: datetime | None = None,
            end: datetime | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The row's non-zero buckets in [start, end): (their indexes in the row, their counts)."""
    values = unpack(blob)
    first, last = _slice(day, step, len(values), start, end)
    found = np.flatnonzero(values[first:last]) + first
    return found, values[found]


def points(day: datetime, step: int, blob: bytes, start: datetime | None = None,
           end: datetime | None = None) -> dict[datetime, int]:
    """The row's non-zero buckets in [start, end) (the whole day when not given), bucket → count."""
    found, counts = nonzero(day, step, blob, start, end)
    delta = timedelta(seconds=step)
    return {day + i * delta: count for i, count in zip(found.tolist(), counts.tolist(), strict=True)}
