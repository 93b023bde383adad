"""Metrics collection (SEMANTICS §3): counts per bucket of every scope of one scan config over a window
[time_from, time_to), counted in the warehouse, written atomically.

Three steps, like the catalog scan: read the config and the plan's identities in one short transaction;
ask the warehouse for aggregates with no app-database transaction open; replace the window's buckets in one
transaction (its day rows rebuilt, tripl_core.metrics.store), so re-running a window is idempotent and a
failure keeps the previous results. Identities are rendered from the grouping keys exactly as the catalog
scan renders them and matched to main-branch events by `source_name` (else name)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tripl_core.analysis import identity
from tripl_core.analysis.versions import newest_releases
from tripl_core.db.engine import Database
from tripl_core.metrics import distribution_drifts, lateness, store
from tripl_core.metrics.collection_input import CollectionInput, MetricsFailed, field_ref, load_input
from tripl_core.metrics.models import AppVersionDay, BreakdownDay, MetricDay, MetricWindow, Scope
from tripl_core.metrics.store import WindowGrid
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.warehouse import (
    ColumnRef,
    FieldRef,
    Interval,
    TimeWindow,
    Warehouse,
    bucket_start,
    create_warehouse,
)
from tripl_core.warehouse.metrics import CountedSeries, Fold, collection_counts

MAX_VERSIONS_READ = 1000  # distinct app versions considered when choosing the kept releases
NULL_VALUE = "(null)"
_MISSING = (-1,)


class MetricsCancelled(Exception):
    """The job was cancelled between two warehouse steps."""


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


class _Aggregates:
    """Counts per series on the window's grid of buckets (one int64 array per series key): summing the
    groupings of one scope is array addition, and the day rows are slices of these arrays."""

    def __init__(self, grid: WindowGrid) -> None:
        self.grid = grid
        self.counts: dict[tuple[str, str], np.ndarray] = {}
        self.breakdowns: dict[tuple[str, str, str, str, bool], np.ndarray] = {}
        self.versions: dict[tuple[str, str, str], np.ndarray] = {}
        self.unmatched: set[tuple[str, str]] = set()

    def add(self, into: dict[Any, np.ndarray], key: tuple[Any, ...], rows: np.ndarray, counts: np.ndarray) -> None:
        found = into.get(key)
        if found is None:
            found = into[key] = np.zeros(self.grid.size, dtype=np.int64)
        found[rows] += counts  # a series holds each bucket once, so no index repeats within `rows`


def collect_metrics(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *,
                    secrets: SecretBox, cancel_requested: Callable[[], bool] = lambda: False,
                    with_drifts: bool = True, now: datetime | None = None) -> CollectionResult:
    """Collect [time_from, time_to) (aligned to the config's interval) and replace its stored rows.
    `with_drifts` False leaves the distribution drifts to `distribution_drifts.collect_drifts` (the
    Dagster asset).
    Re-counted buckets that grew teach the config its data delay (`lateness.learn`, as of `now`)."""
    scan, config = load_input(db, scan_config_id, secrets)
    start, end = align(time_from, scan.interval), align(time_to, scan.interval)
    if end <= start:
        raise MetricsFailed(f"The window [{_iso(time_from)}, {_iso(time_to)}) holds no complete "
                            f"{scan.interval.value} bucket")
    warehouse = create_warehouse(config)
    try:
        aggregates, rows_read = read_window(warehouse, scan, start, end, cancel_requested)
        drift_counts = (distribution_drifts.read_drift_counts(warehouse, scan, end)
                        if with_drifts and scan.drift_fields else None)
    finally:
        warehouse.close()
    if cancel_requested():
        raise MetricsCancelled("Cancelled")
    result = CollectionResult(start, end, rows_read=rows_read, identities_unmatched=len(aggregates.unmatched))
    with db.unit_of_work() as session:
        write_window(session, scan, start, end, aggregates, result, now)
        if drift_counts is not None:
            result.significant_drifts = distribution_drifts.write_drifts(session, scan, end, *drift_counts)
    return result


def align(moment: datetime, interval: Interval) -> datetime:
    return bucket_start(moment, interval)


# -- the warehouse half ----------------------------------------------------------------------------------
def read_window(warehouse: Warehouse, scan: CollectionInput, start: datetime, end: datetime,
                cancel_requested: Callable[[], bool]) -> tuple[_Aggregates, int]:
    def step() -> None:
        if cancel_requested():
            raise MetricsCancelled("Cancelled")

    columns = [c.name for c in warehouse.sample(scan.base_query, 0).columns]
    keys = _grouping_keys(warehouse, scan, columns, start, end)
    step()
    group_by: list[FieldRef] = ([ColumnRef(scan.event_type_column)] if scan.event_type_column else [])
    group_by += [field_ref(key, columns) for key in keys]
    parts = identity.identity_parts(scan.spec, []) if scan.spec.event_name_format else \
        [k for k in keys if k not in scan.spec.rule_fields()]
    folds = [Fold(field_ref(column, columns), top=scan.breakdown_limit) for column in scan.breakdown_columns]
    if scan.app_version_column:
        version_ref = field_ref(scan.app_version_column, columns)
        seen = warehouse.top_values(scan.base_query, version_ref, MAX_VERSIONS_READ,
                                    TimeWindow(scan.time_column, start, end))
        folds.append(Fold(version_ref, keep=tuple(newest_releases((v.value for v in seen), scan.keep_releases))))
        step()
    agg = _Aggregates(WindowGrid(start, end, scan.interval.seconds))
    resolve = _resolver(scan, keys, parts, agg)
    series = collection_counts(warehouse, scan.base_query, scan.time_column, scan.interval, start, end, group_by,
                               folds)
    _check_limit(scan, series, len(folds))
    rows_read = 0
    breakdowns = len(scan.breakdown_columns)
    row_of = agg.grid.row_of()
    for one in series:
        scopes = resolve(one.groups)
        # buckets come back aware (UTC): they hash like the grid's datetimes
        rows = np.fromiter(map(row_of.get, one.buckets, _MISSING * len(one.buckets)), dtype=np.int64,
                           count=len(one.buckets))
        counts = np.asarray(one.counts, dtype=np.int64)
        if (rows < 0).any():  # the warehouse answered a bucket outside the window: not this window's
            counts, rows = counts[rows >= 0], rows[rows >= 0]
        if one.part == 0:
            rows_read += int(counts.sum())
            for scope, ref in scopes:
                agg.add(agg.counts, (scope, ref), rows, counts)
        elif one.part <= breakdowns:
            column = scan.breakdown_columns[one.part - 1]
            value = (one.value if one.value is not None else NULL_VALUE)[:500]
            for scope, ref in scopes:
                agg.add(agg.breakdowns, (scope, ref, column, value, one.is_other), rows, counts)
        else:
            version = (one.value if not one.is_other and one.value is not None else "Other")[:100]
            for scope, ref in scopes:
                agg.add(agg.versions, (scope, ref, version), rows, counts)
    return agg, rows_read


def _check_limit(scan: CollectionInput, series: Sequence[CountedSeries], folds: int) -> None:
    """`metrics_row_limit` bounds the points of each part of the collection (the plain counts, each breakdown
    column, the app versions), each point being one bucket of one grouping and value."""
    limit = scan.row_limit if scan.row_limit is not None else 10**9
    points = [0] * (folds + 1)
    for one in series:
        points[one.part] += len(one.buckets)
    names = ["counts per bucket", *(f"breakdown '{c}'" for c in scan.breakdown_columns), "app versions"]
    for part, total in enumerate(points):
        if total > limit:
            raise MetricsFailed(f"metrics_row_limit ({limit}) reached: the {names[part]} query returned more than "
                                f"{limit} rows; raise metrics_row_limit, collect a shorter window, or narrow the "
                                "base query")


def _grouping_keys(warehouse: Warehouse, scan: CollectionInput, columns: Sequence[str], start: datetime,
                   end: datetime) -> list[str]:
    """The format's placeholders (or, without a format, the low-cardinality columns of the window) plus the
    fields event-group rules test."""
    if scan.spec.event_name_format:
        return identity.grouping_keys(scan.spec, [])
    skip = {scan.time_column, scan.event_type_column}
    candidates = [c for c in columns if c not in skip]
    distinct = warehouse.distinct_counts(scan.base_query, [ColumnRef(c) for c in candidates],
                                         TimeWindow(scan.time_column, start, end))
    low = [c for c in candidates if distinct.get(c, 0) <= scan.spec.cardinality_threshold]
    return list(dict.fromkeys([*low, *scan.spec.rule_fields()]))


def _resolver(scan: CollectionInput, keys: Sequence[str], parts: Sequence[str],
              agg: _Aggregates) -> Callable[[tuple[str | None, ...]], list[tuple[str, str]]]:
    """Grouping values → the scopes a row counts in: the project total, its event type, its plan event."""
    total = str(scan.scan_config_id)
    cache: dict[tuple[str | None, ...], list[tuple[str, str]]] = {}

    def resolve(groups: tuple[str | None, ...]) -> list[tuple[str, str]]:
        if groups in cache:
            return cache[groups]
        scopes = [(Scope.project_total.value, total)]
        type_name = scan.bound_type[0] if scan.bound_type else (groups[0] or "")
        values = groups[1:] if scan.event_type_column else groups
        type_id = scan.bound_type[1] if scan.bound_type else scan.types.get(type_name)
        if type_id is not None:
            scopes.append((Scope.event_type.value, str(type_id)))
        name = identity.render(scan.spec, parts, dict(zip(keys, values, strict=True)))
        if name is not None:
            event = scan.events.get((type_name, name))
            if event is not None:
                scopes.append((Scope.event.value, str(event[0])))
            else:
                agg.unmatched.add((type_name, name))
        cache[groups] = scopes
        return scopes

    return resolve


# -- the write half --------------------------------------------------------------------------------------
def write_window(session: Session, scan: CollectionInput, start: datetime, end: datetime, agg: _Aggregates,
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
