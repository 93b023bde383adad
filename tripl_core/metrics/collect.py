"""Metrics collection (SEMANTICS §3): counts per bucket of every scope of one scan config over a window
[time_from, time_to), counted in the warehouse, written atomically.

Three steps, like the catalog scan: read the config and the plan's identities in one short transaction;
ask the warehouse for aggregates with no app-database transaction open; replace the window's buckets in one
transaction (its day rows rebuilt, tripl_core.metrics.store), so re-running a window is idempotent and a
failure keeps the previous results. Identities are rendered from the grouping keys exactly as the catalog
scan renders them and matched to main-branch events by `source_name` (else name)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.metrics import counting, distribution_drifts, lateness, store
from tripl_core.metrics.collection_input import CollectionInput, MetricsFailed, load_input
from tripl_core.metrics.counting import MetricsCancelled, WindowCounts
from tripl_core.metrics.distribution_drifts import Counts
from tripl_core.metrics.models import AppVersionDay, BreakdownDay, MetricDay, MetricWindow, Scope
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.warehouse import Interval, bucket_start, create_warehouse

__all__ = ["CollectionResult", "MetricsCancelled", "align", "collect_metrics", "write_window"]


@dataclass
class CollectionResult:
    time_from: datetime
    time_to: datetime
    rows_read: int = 0
    points_written: int = 0
    breakdown_points_written: int = 0
    app_version_points_written: int = 0
    identities_unmatched: int = 0
    significant_drifts: int = 0

    def summary(self) -> dict[str, int | str]:
        return {"time_from": _iso(self.time_from), "time_to": _iso(self.time_to), "rows_read": self.rows_read,
                "metric_points_written": self.points_written,
                "breakdown_points_written": self.breakdown_points_written,
                "app_version_points_written": self.app_version_points_written,
                "identities_unmatched": self.identities_unmatched, "significant_drifts": self.significant_drifts}


def collect_metrics(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *,
                    secrets: SecretBox, cancel_requested: Callable[[], bool] = lambda: False,
                    with_drifts: bool = True, now: datetime | None = None) -> CollectionResult:
    """Collect [time_from, time_to) (aligned to the config's interval) and replace its stored rows.
    `with_drifts` False leaves the distribution drifts to `distribution_drifts.collect_drifts` (the
    Dagster asset).
    Re-counted buckets that grew teach the config its data delay (`lateness.learn`, as of `now`)."""
    scan, config = load_input(db, scan_config_id, secrets)
    start, end = aligned_window(scan, time_from, time_to)
    warehouse = create_warehouse(config)
    try:
        planned = counting.plan(warehouse, scan, [(start, end)])
        if cancel_requested():
            raise MetricsCancelled("Cancelled")
        (counts,), (problem,) = counting.count_pass(warehouse, scan, planned, [(start, end)], [0])
        counting.check_limit(problem)
        drift_counts = (distribution_drifts.read_drift_counts(warehouse, scan, end)
                        if with_drifts and scan.drift_fields else None)
    finally:
        warehouse.close()
    if cancel_requested():
        raise MetricsCancelled("Cancelled")
    return write_collected(db, scan, counts, drift_counts, now)


def write_collected(db: Database, scan: CollectionInput, counts: WindowCounts,
                    drift_counts: tuple[Counts, Counts] | None, now: datetime | None) -> CollectionResult:
    """One window's counts (and the drift counts at its end, when read) written in one transaction."""
    grid = counts.grid
    result = CollectionResult(grid.start, grid.end, rows_read=counts.rows_read,
                              identities_unmatched=len(counts.unmatched))
    with db.unit_of_work() as session:
        write_window(session, scan, grid.start, grid.end, counts, result, now)
        if drift_counts is not None:
            result.significant_drifts = distribution_drifts.write_drifts(session, scan, grid.end, *drift_counts)
    return result


def align(moment: datetime, interval: Interval) -> datetime:
    return bucket_start(moment, interval)


def aligned_window(scan: CollectionInput, time_from: datetime, time_to: datetime) -> tuple[datetime, datetime]:
    """[time_from, time_to) on the config's bucket edges; a window holding no complete bucket is refused."""
    start, end = align(time_from, scan.interval), align(time_to, scan.interval)
    if end <= start:
        raise MetricsFailed(f"The window [{_iso(time_from)}, {_iso(time_to)}) holds no complete "
                            f"{scan.interval.value} bucket")
    return start, end


# -- the write half --------------------------------------------------------------------------------------
def write_window(session: Session, scan: CollectionInput, start: datetime, end: datetime, agg: WindowCounts,
                 result: CollectionResult, now: datetime | None = None) -> None:
    """Replace every stored row of the window in this transaction (learning the data delay from the
    project total's buckets that grew since their previous count)."""
    config = session.get(ScanConfig, scan.scan_config_id)
    if config is None:
        raise MetricsFailed(f"Scan config {scan.scan_config_id} was deleted while metrics were collected")
    config_id = scan.scan_config_id
    grid = agg.grid
    total = (Scope.project_total.value, str(config_id))
    before = store.series(session, MetricDay, config_id, start, end, MetricDay.scope == total[0],
                          MetricDay.scope_ref == total[1]).get(total, {})
    if before:
        counted = agg.counts.get(total)
        after = {} if counted is None else {
            grid.start + int(i) * grid.delta: int(counted[i]) for i in np.flatnonzero(counted)}
        lateness.learn(config, scan.interval, before, after, now)
    for model, series in ((MetricDay, agg.counts), (BreakdownDay, agg.breakdowns), (AppVersionDay, agg.versions)):
        store.replace_window(session, model, config_id, grid, series)
    session.execute(delete(MetricWindow).where(MetricWindow.scan_config_id == config_id,
                                               MetricWindow.time_from == start, MetricWindow.time_to == end))
    session.add(MetricWindow(scan_config_id=config_id, time_from=start, time_to=end))
    session.flush()
    result.points_written = _points(agg.counts)
    result.breakdown_points_written = _points(agg.breakdowns)
    result.app_version_points_written = _points(agg.versions)


def _points(series: dict[Any, np.ndarray]) -> int:
    return sum(int(np.count_nonzero(values)) for values in series.values())


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
