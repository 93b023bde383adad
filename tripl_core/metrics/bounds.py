"""Caps on the work one metrics request may ask for (SEMANTICS §9): a time range × interval becomes at most
MAX_BUCKETS_PER_SERIES buckets per series and MAX_POINTS_PER_RESPONSE points over a whole response; a
request beyond a cap is refused (422) before anything is read or zero-filled, and the message names the cap."""

from __future__ import annotations

from datetime import UTC, datetime

from tripl_core.errors import InvalidInput
from tripl_core.warehouse import Interval

MAX_BUCKETS_PER_SERIES = 20_000
MAX_POINTS_PER_RESPONSE = 200_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_moment(moment: datetime | None, field: str) -> None:
    """Bucket arithmetic is epoch-anchored; far-off years would overflow it."""
    if moment is None:
        return
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise InvalidInput(f"{field} must be between {EARLIEST.date()} and {LATEST.date()}",
                           details=[{"field": field}])


def check_buckets(start: datetime, end: datetime, interval: Interval, series: int = 1) -> None:
    """Refuse [start, end) when it holds more buckets than one series or one response may."""
    buckets = max(0, (end - start) // interval.delta)
    if buckets > MAX_BUCKETS_PER_SERIES:
        raise InvalidInput(
            f"from/to span {buckets} buckets of {interval.value}; at most {MAX_BUCKETS_PER_SERIES} buckets per "
            "series (max_buckets_per_series): narrow the range", details=[{"field": "from"}, {"field": "to"}])
    if buckets * series > MAX_POINTS_PER_RESPONSE:
        raise InvalidInput(
            f"{series} series × {buckets} buckets of {interval.value} is more than {MAX_POINTS_PER_RESPONSE} "
            "points (max_points_per_response): narrow the range or ask for fewer series",
            details=[{"field": "from"}, {"field": "to"}])
