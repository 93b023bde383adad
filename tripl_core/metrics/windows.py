"""Metrics windows: where collections end (the last complete bucket), the window of a scheduled run, and
the chunks a long window is collected in. Apart from the run itself so that what only needs the window (the
run config of the pipelines, the schedule) does not load the collector and the detector."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.metrics.collection_input import MetricsFailed
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval, bucket_start


def last_complete(interval: Interval, now: datetime | None = None) -> datetime:
    """The end of the last complete bucket: collections read up to here."""
    return bucket_start(now or utcnow(), interval)


def scheduled_window(db: Database, scan_config_id: uuid.UUID, now: datetime | None = None,
                     buckets: int = 1) -> tuple[datetime, datetime]:
    """The collection window of a scheduled run: the last `buckets` complete intervals."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None or not config.interval:
            raise MetricsFailed(f"Scan config {scan_config_id} collects no metrics (no interval)")
        interval = Interval(config.interval)
    end = last_complete(interval, now)
    return end - buckets * interval.delta, end


def chunks(time_from: datetime, time_to: datetime, chunk: timedelta) -> list[tuple[datetime, datetime]]:
    out, cursor = [], time_from
    while cursor < time_to:
        out.append((cursor, min(cursor + chunk, time_to)))
        cursor += chunk
    return out
