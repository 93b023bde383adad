"""Replay Scan Metrics (SEMANTICS §3): recompute [time_from, time_to), which must end at or before the
last complete interval, in aligned chunks of `replay_chunk_interval`; cancellable between chunks; never
changes the plan. Each chunk gets exactly the counts a collection of that chunk alone would write and is
written atomically, so a failed or cancelled replay keeps the chunks it finished and the previous results
of the rest. The warehouse is asked once for what the collection plans (columns, keys, kept releases) and
counts many chunks per pass (tripl_core.metrics.counting), instead of each chunk paying planning queries
and a counting pass of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.errors import InvalidInput
from tripl_core.metrics import bounds, counting, distribution_drifts
from tripl_core.metrics.collect import MetricsCancelled, aligned_window, write_collected
from tripl_core.metrics.collection_input import load_input
from tripl_core.metrics.run import analyse
from tripl_core.metrics.windows import chunks, last_complete
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.warehouse import Interval, bucket_start, create_warehouse


def validate(config: ScanConfig, time_from: datetime, time_to: datetime, now: datetime | None = None) -> dict[str, str]:
    """The job params of a valid replay request (422 naming the field otherwise)."""
    if not config.interval or not config.time_column:
        raise InvalidInput(f"Scan config '{config.name}' has no interval: it collects no metrics",
                           details=[{"field": "interval"}])
    interval = Interval(config.interval)
    bounds.check_moment(time_from, "time_from")
    bounds.check_moment(time_to, "time_to")
    if time_from >= time_to:
        raise InvalidInput("time_from must be before time_to", details=[{"field": "time_from"}])
    if time_to > last_complete(interval, now):
        raise InvalidInput(f"time_to must be at or before the last complete {interval.value} interval "
                           f"({last_complete(interval, now).isoformat()})", details=[{"field": "time_to"}])
    return {"time_from": bucket_start(time_from, interval).isoformat(),
            "time_to": bucket_start(time_to, interval).isoformat()}


Progress = Callable[[dict[str, int | str]], None]


def replay(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *, secrets: SecretBox,
           cancel_requested: Callable[[], bool] = lambda: False,
           on_chunk: Progress = lambda summary: None) -> dict[str, int | str]:
    """Collect every chunk, then detect (signals, forecasts) and release regressions over the range."""
    summary = collect_chunks(db, scan_config_id, time_from, time_to, secrets=secrets,
                             cancel_requested=cancel_requested, on_chunk=on_chunk)
    summary.update(analyse(db, scan_config_id, time_from, time_to))
    return summary


def collect_chunks(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *,
                   secrets: SecretBox, cancel_requested: Callable[[], bool] = lambda: False,
                   on_chunk: Progress = lambda summary: None, with_drifts: bool = True,
                   min_chunk: timedelta | None = None, now: datetime | None = None) -> dict[str, int | str]:
    """Collect [time_from, time_to) chunk by chunk, each written atomically, checking for a cancel before
    each warehouse pass and each chunk's write; `on_chunk` gets the running summary after each chunk. Drifts
    (when wanted) are collected once, for the range's end. `min_chunk` widens chunks shorter than it
    (scheduled catch-ups)."""
    with db.unit_of_work() as session:
        chunk = _chunk(session, scan_config_id).delta
    parts = chunks(time_from, time_to, max(chunk, min_chunk) if min_chunk else chunk)
    summary: dict[str, int | str] = {"chunks": len(parts), "chunks_done": 0, "metric_points_written": 0,
                                     "rows_read": 0, "significant_drifts": 0}
    if not parts:
        return summary

    def stop_if_cancelled() -> None:
        if cancel_requested():
            raise MetricsCancelled(f"Cancelled after {summary['chunks_done']} of {len(parts)} chunks")

    stop_if_cancelled()
    scan, config = load_input(db, scan_config_id, secrets)
    windows = [aligned_window(scan, start, end) for start, end in parts]
    warehouse = create_warehouse(config)
    try:
        planned = counting.plan(warehouse, scan, windows)
        for indexes in counting.passes(windows, planned.keys, scan.interval.seconds):
            stop_if_cancelled()
            counted, problems = counting.count_pass(warehouse, scan, planned, windows, indexes)
            for index, counts, problem in zip(indexes, counted, problems, strict=True):
                stop_if_cancelled()
                counting.check_limit(problem)
                last = index == len(windows) - 1
                drifts = (distribution_drifts.read_drift_counts(warehouse, scan, windows[index][1])
                          if with_drifts and last and scan.drift_fields else None)
                result = write_collected(db, scan, counts, drifts, now)
                summary["chunks_done"] = int(summary["chunks_done"]) + 1
                summary["metric_points_written"] = int(summary["metric_points_written"]) + result.points_written
                summary["rows_read"] = int(summary["rows_read"]) + result.rows_read
                summary["significant_drifts"] = int(summary["significant_drifts"]) + result.significant_drifts
                on_chunk(dict(summary))
    finally:
        warehouse.close()
    return summary


def _chunk(session: Session, scan_config_id: uuid.UUID) -> Interval:
    config = session.get(ScanConfig, scan_config_id)
    if config is None or not config.interval:
        raise InvalidInput(f"Scan config {scan_config_id} collects no metrics")
    return Interval(config.replay_chunk_interval or config.interval)
