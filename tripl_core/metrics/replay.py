"""Replay Scan Metrics (SEMANTICS §3): recompute [time_from, time_to), which must end at or before the
last complete interval, in aligned chunks of `replay_chunk_interval`; cancellable between chunks; never
changes the plan. Each chunk is collected and written atomically, so a failed or cancelled replay keeps
the chunks it finished and the previous results of the rest."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.errors import InvalidInput
from tripl_core.metrics.collect import MetricsCancelled, collect_metrics
from tripl_core.metrics.run import analyse, chunks, last_complete
from tripl_core.scans.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.warehouse import Interval, bucket_start


def validate(config: ScanConfig, time_from: datetime, time_to: datetime, now: datetime | None = None) -> dict[str, str]:
    """The job params of a valid replay request (422 naming the field otherwise)."""
    if not config.interval or not config.time_column:
        raise InvalidInput(f"Scan config '{config.name}' has no interval: it collects no metrics",
                           details=[{"field": "interval"}])
    interval = Interval(config.interval)
    if time_from >= time_to:
        raise InvalidInput("time_from must be before time_to", details=[{"field": "time_from"}])
    if time_to > last_complete(interval, now):
        raise InvalidInput(f"time_to must be at or before the last complete {interval.value} interval "
                           f"({last_complete(interval, now).isoformat()})", details=[{"field": "time_to"}])
    return {"time_from": bucket_start(time_from, interval).isoformat(),
            "time_to": bucket_start(time_to, interval).isoformat()}


def replay(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *, secrets: SecretBox,
           cancel_requested: Callable[[], bool] = lambda: False) -> dict[str, int | str]:
    with db.unit_of_work() as session:
        chunk = _chunk(session, scan_config_id)
    summary: dict[str, int | str] = {"chunks_done": 0, "metric_points_written": 0, "rows_read": 0}
    for start, end in chunks(time_from, time_to, chunk.delta):
        if cancel_requested():
            raise MetricsCancelled(f"Cancelled after {summary['chunks_done']} chunks")
        result = collect_metrics(db, scan_config_id, start, end, secrets=secrets, cancel_requested=cancel_requested)
        summary["chunks_done"] = int(summary["chunks_done"]) + 1
        summary["metric_points_written"] = int(summary["metric_points_written"]) + result.points_written
        summary["rows_read"] = int(summary["rows_read"]) + result.rows_read
    summary.update(analyse(db, scan_config_id, time_from, time_to))
    return summary


def _chunk(session: Session, scan_config_id: uuid.UUID) -> Interval:
    config = session.get(ScanConfig, scan_config_id)
    if config is None or not config.interval:
        raise InvalidInput(f"Scan config {scan_config_id} collects no metrics")
    return Interval(config.replay_chunk_interval or config.interval)
