"""Collection intervals and their bucket arithmetic: UTC, half-open, anchored at the Unix epoch.

Weeks start on Monday, so week buckets are anchored at Monday 1970-01-05 rather than at the epoch
(a Thursday). Every dialect renders the same arithmetic in SQL; `bucket_start` is the reference the
tests and the Python side use.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Seconds from the epoch to the first Monday, where week buckets are anchored.
WEEK_ANCHOR_SECONDS = 4 * 86_400


class Interval(enum.Enum):
    MIN_15 = "15m"
    HOUR_1 = "1h"
    HOUR_6 = "6h"
    DAY_1 = "1d"
    WEEK_1 = "1w"

    @property
    def seconds(self) -> int:
        return _SECONDS[self]

    @property
    def anchor_seconds(self) -> int:
        """Offset of bucket boundaries from the epoch: 0, except Monday-anchored weeks."""
        return WEEK_ANCHOR_SECONDS if self is Interval.WEEK_1 else 0

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)


_SECONDS = {
    Interval.MIN_15: 15 * 60,
    Interval.HOUR_1: 3_600,
    Interval.HOUR_6: 6 * 3_600,
    Interval.DAY_1: 86_400,
    Interval.WEEK_1: 7 * 86_400,
}


def bucket_start(moment: datetime, interval: Interval) -> datetime:
    """The start of the bucket holding `moment` (naive datetimes are read as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    offset = (aware - EPOCH) // timedelta(seconds=1) - interval.anchor_seconds
    return EPOCH + timedelta(seconds=offset // interval.seconds * interval.seconds + interval.anchor_seconds)
