"""Which scan configs are due a metrics collection, and over which window (the sensor's question).

A config is due when an interval boundary has passed since the end of what it has collected: its window
is then [end of the stored range, last complete interval), widened back to the buckets still settling
(`lateness.settling_start`: late rows may still land in them, so they are counted again), capped at the
detector's history span.
A config that never collected starts with that history span, so its first detection has comparables.
Catalog-only configs (no interval or no time column) are never due."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.metrics import anomaly_settings, lateness
from tripl_core.metrics.models import MetricWindow
from tripl_core.metrics.windows import last_complete
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.launching import COLLECTION_TAG, readable_tags
from tripl_core.warehouse import Interval, bucket_start


@dataclass(frozen=True)
class DueCollection:
    scan_config_id: uuid.UUID
    time_from: datetime
    time_to: datetime
    tags: dict[str, str] = field(default_factory=dict)  # readable run tags (project slug, scan name)


def due_collections(db: Database, now: datetime | None = None) -> list[DueCollection]:
    """Every config with metrics whose last complete interval ends after its stored range."""
    with db.unit_of_work() as session:
        configs = session.scalars(select(ScanConfig).where(
            ScanConfig.interval.is_not(None), ScanConfig.time_column.is_not(None))).all()
        stored = dict(session.execute(select(MetricWindow.scan_config_id, func.max(MetricWindow.time_to))
                                      .group_by(MetricWindow.scan_config_id)).all())
        due = []
        for config in configs:
            if not config.interval:
                continue
            window = due_window(session, config.project_id, Interval(config.interval), stored.get(config.id), now,
                                config)
            if window is not None:
                tags = {**readable_tags(session, config.project_id, config.id), COLLECTION_TAG: str(config.id)}
                due.append(DueCollection(config.id, *window, tags))
    return due


def due_window(session: Session, project_id: uuid.UUID, interval: Interval, stored_end: datetime | None,
               now: datetime | None = None, config: ScanConfig | None = None) -> tuple[datetime, datetime] | None:
    """[from, to) of the next collection, or None when nothing new is complete; with `config`, the window
    starts early enough to re-count its settling buckets."""
    end = last_complete(interval, now)
    detector = anomaly_settings.detector_settings(anomaly_settings.peek(session, project_id))
    span = anomaly_settings.history_span(interval, detector)
    earliest = bucket_start(end - span, interval)
    if stored_end is None:
        return earliest, end
    stored_end = bucket_start(_aware(stored_end), interval)
    if stored_end >= end:
        return None
    start = stored_end if config is None else min(stored_end, lateness.settling_start(config, end))
    return max(start, earliest), end


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
