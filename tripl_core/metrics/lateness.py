"""Late data (SEMANTICS §4): how long after a bucket ends its rows have all landed in the warehouse.

A scan config's data delay is the one its users set (`data_delay_minutes`), else the one the collections
learnt (`learnt_data_delay_minutes`), else `DEFAULT_DELAY` until something was learnt. Every collection
re-counts the buckets still settling (two delays and one bucket back from the newest complete interval),
so a bucket is counted as often as it changes; a bucket is judged by the detector only once it is older
than the delay ("complete until"), so its verdict is given once, on complete data.

Learning: when a re-count finds more rows of the project total in a bucket than the previous count did,
rows of that bucket landed late, at most its age now: the learnt delay rises to that age (rounded up to
a minute, at most `MAX_LEARNT_DELAY`). It never falls on its own — a source that stopped looks exactly like
one that is late until the delay has passed, so only growth (rows that did land) is evidence; users
lower it by setting `data_delay_minutes`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from tripl_core.db.base import utcnow
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval, bucket_start

DEFAULT_DELAY = timedelta(hours=1)
MAX_LEARNT_DELAY = timedelta(days=1)


def data_delay(config: ScanConfig) -> timedelta:
    if config.data_delay_minutes is not None:
        return timedelta(minutes=config.data_delay_minutes)
    if config.learnt_data_delay_minutes is not None:
        return timedelta(minutes=config.learnt_data_delay_minutes)
    return DEFAULT_DELAY


def complete_until(config: ScanConfig, now: datetime | None = None) -> datetime:
    """Buckets starting before this are complete (they ended at least one delay ago) and may be judged."""
    if not config.interval:
        return _aware(now or utcnow())
    # the bucket starting there ends after now - delay; every earlier one ended by then
    return bucket_start(_aware(now or utcnow()) - data_delay(config), Interval(config.interval))


def settling_start(config: ScanConfig, end: datetime) -> datetime:
    """The first bucket a collection ending at `end` re-counts: buckets younger than two delays may still
    change (one delay to land, one more so a rise of the learnt delay is seen), plus one bucket."""
    interval = Interval(config.interval) if config.interval else Interval.HOUR_1
    return bucket_start(end - 2 * data_delay(config), interval) - interval.delta


def learn(config: ScanConfig, interval: Interval, before: Mapping[datetime, int], after: Mapping[datetime, int],
          now: datetime | None = None) -> int | None:
    """Raise the config's learnt delay from the project-total buckets that grew between two counts;
    returns the new learnt delay (minutes) or None when unchanged. Only buckets within `MAX_LEARNT_DELAY`
    count: an old window replayed after a backfill says nothing about how late rows land today."""
    moment = _aware(now or utcnow())
    ages = [moment - (_aware(bucket) + interval.delta) for bucket, count in after.items()
            if count > before.get(bucket, 0)]
    ages = [age for age in ages if timedelta(0) < age <= MAX_LEARNT_DELAY]
    if not ages:
        return None
    minutes = math.ceil(max(ages).total_seconds() / 60)
    if config.learnt_data_delay_minutes is not None and minutes <= config.learnt_data_delay_minutes:
        return None
    config.learnt_data_delay_minutes = minutes
    return minutes


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
