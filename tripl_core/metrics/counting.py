"""The warehouse half of a metrics collection (SEMANTICS §3): counts per bucket of every scope of one scan
config, for one window or for consecutive windows (a replay's chunks) counted together.

Planning is done once for all windows (`plan`): the base query's columns (one `sample`), the grouping keys
(from the event-name format, or per window its low-cardinality columns) and, per window, the kept app
releases (the newest of the versions seen in that window). Windows whose grouping keys agree are then
counted in as few warehouse passes as `passes` allows: one `collection_counts` query per pass, each window
a span of it that is ranked and folded exactly as if it were counted alone, so every window gets the
counts a collection of that window by itself would get. The caller writes each window on its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from tripl_core.analysis import identity
from tripl_core.analysis.versions import newest_releases
from tripl_core.metrics.collection_input import CollectionInput, MetricsFailed, field_ref
from tripl_core.metrics.models import Scope
from tripl_core.metrics.store import WindowGrid
from tripl_core.warehouse import ColumnRef, FieldRef, Warehouse
from tripl_core.warehouse.metrics import CountedSeries, Fold, collection_counts, span_distinct_counts, span_top_values

MAX_VERSIONS_READ = 1000  # distinct app versions considered when choosing the kept releases
NULL_VALUE = "(null)"
# One pass holds at most this many buckets (31 days of 15 minutes: what a full collection of the benchmark
# month already holds, ~1.9M points) and this many windows (each window is one WHEN of the span CASE).
MAX_PASS_BUCKETS = 31 * 96
MAX_PASS_WINDOWS = 64
_MISSING = (-1,)

Window = tuple[datetime, datetime]


class MetricsCancelled(Exception):
    """The job was cancelled between two warehouse steps."""


@dataclass
class WindowCounts:
    """Counts per series of one window on its grid of buckets (one int64 array per series key): summing the
    groupings of one scope is array addition, and the day rows are slices of these arrays."""

    grid: WindowGrid
    counts: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    breakdowns: dict[tuple[str, str, str, str, bool], np.ndarray] = field(default_factory=dict)
    versions: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)
    unmatched: set[tuple[str, str]] = field(default_factory=set)
    rows_read: int = 0

    def add(self, into: dict[Any, np.ndarray], key: tuple[Any, ...], rows: np.ndarray, counts: np.ndarray) -> None:
        found = into.get(key)
        if found is None:
            found = into[key] = np.zeros(self.grid.size, dtype=np.int64)
        found[rows] += counts  # a series holds each bucket once, so no index repeats within `rows`


@dataclass(frozen=True)
class Plan:
    """What the collection of some windows derives from the config and the data, asked once."""

    columns: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]  # the grouping keys of each window
    kept_releases: tuple[tuple[str, ...], ...] | None  # per window; None without an app-version column


def plan(warehouse: Warehouse, scan: CollectionInput, windows: Sequence[Window]) -> Plan:
    """The base query's columns, and per window its grouping keys and kept releases (one query each for
    all windows)."""
    columns = tuple(c.name for c in warehouse.sample(scan.base_query, 0).columns)
    start, end, edges = windows[0][0], windows[-1][1], [w[0] for w in windows[1:]]
    if scan.spec.event_name_format:
        keys = [tuple(identity.grouping_keys(scan.spec, []))] * len(windows)
    else:  # the low-cardinality columns of each window, plus the fields event-group rules test
        skip = {scan.time_column, scan.event_type_column}
        candidates = [c for c in columns if c not in skip]
        distinct = span_distinct_counts(warehouse, scan.base_query, [ColumnRef(c) for c in candidates],
                                        scan.time_column, start, end, edges)
        keys = [tuple(dict.fromkeys([*(c for c in candidates if counts[c] <= scan.spec.cardinality_threshold),
                                     *scan.spec.rule_fields()])) for counts in distinct]
    kept = None
    if scan.app_version_column:
        seen = span_top_values(warehouse, scan.base_query, field_ref(scan.app_version_column, list(columns)),
                               MAX_VERSIONS_READ, scan.time_column, scan.interval, start, end, edges)
        kept = tuple(tuple(newest_releases(values, scan.keep_releases)) for values in seen)
    return Plan(columns, tuple(keys), kept)


def passes(windows: Sequence[Window], keys: Sequence[tuple[str, ...]], bucket_seconds: int) -> list[list[int]]:
    """Consecutive windows (by index) counted in one pass: same grouping keys, at most MAX_PASS_BUCKETS
    buckets and MAX_PASS_WINDOWS windows per pass (a window larger than that is a pass by itself)."""
    out: list[list[int]] = []
    held = 0
    for index, (start, end) in enumerate(windows):
        size = int((end - start).total_seconds()) // bucket_seconds
        current = out[-1] if out else None
        if current is None or keys[current[0]] != keys[index] or held + size > MAX_PASS_BUCKETS or \
                len(current) >= MAX_PASS_WINDOWS:
            out.append([index])
            held = size
        else:
            current.append(index)
            held += size
    return out


def count_pass(warehouse: Warehouse, scan: CollectionInput, planned: Plan, windows: Sequence[Window],
               indexes: Sequence[int]) -> tuple[list[WindowCounts], list[str | None]]:
    """Count windows[indexes] (consecutive, with the same keys) in one warehouse pass: their counts, and per
    window the `metrics_row_limit` problem it has (None when it has none), raised by the caller when it
    reaches that window so the windows before it are still written."""
    chosen = [windows[i] for i in indexes]
    keys = list(planned.keys[indexes[0]])
    columns = list(planned.columns)
    group_by: list[FieldRef] = ([ColumnRef(scan.event_type_column)] if scan.event_type_column else [])
    group_by += [field_ref(key, columns) for key in keys]
    parts = identity.identity_parts(scan.spec, []) if scan.spec.event_name_format else \
        [k for k in keys if k not in scan.spec.rule_fields()]
    folds = [Fold(field_ref(column, columns), top=scan.breakdown_limit) for column in scan.breakdown_columns]
    if scan.app_version_column and planned.kept_releases is not None:
        kept = tuple(planned.kept_releases[i] for i in indexes)
        folds.append(Fold(field_ref(scan.app_version_column, columns), keep_by_span=kept))
    counts = [WindowCounts(WindowGrid(start, end, scan.interval.seconds)) for start, end in chosen]
    # The plain counts are the sum of the first fold's series (every row has exactly one value there, NULL
    # included), so with a fold they are not asked for: one grouping set less over every row.
    series = collection_counts(warehouse, scan.base_query, scan.time_column, scan.interval, chosen[0][0],
                               chosen[-1][1], group_by, folds, edges=[w[0] for w in chosen[1:]], plain=not folds)
    resolve = _resolver(scan, keys, parts)
    plain_from = 0 if not folds else 1
    limits = _Points(len(folds), [c.grid.size for c in counts])
    breakdowns = len(scan.breakdown_columns)
    rows_of = [c.grid.row_of() for c in counts]
    for one in series:
        into = counts[one.span]
        scopes, missing = resolve(one.groups)
        if missing is not None:
            into.unmatched.add(missing)
        # buckets come back aware (UTC): they hash like the grid's datetimes
        row_of = rows_of[one.span]
        rows = np.fromiter(map(row_of.get, one.buckets, _MISSING * len(one.buckets)), dtype=np.int64,
                           count=len(one.buckets))
        values = np.asarray(one.counts, dtype=np.int64)
        if (rows < 0).any():  # the warehouse answered a bucket outside the window: not this window's
            values, rows = values[rows >= 0], rows[rows >= 0]
        limits.add(one, rows)
        if one.part == plain_from:
            into.rows_read += int(values.sum())
            for scope, ref in scopes:
                into.add(into.counts, (scope, ref), rows, values)
        if one.part == 0:
            continue
        if one.part <= breakdowns:
            column = scan.breakdown_columns[one.part - 1]
            value = (one.value if one.value is not None else NULL_VALUE)[:500]
            for scope, ref in scopes:
                into.add(into.breakdowns, (scope, ref, column, value, one.is_other), rows, values)
        else:
            version = (one.value if not one.is_other and one.value is not None else "Other")[:100]
            for scope, ref in scopes:
                into.add(into.versions, (scope, ref, version), rows, values)
    return counts, [limits.problem(scan, span) for span in range(len(chosen))]


class _Points:
    """The points of each part of each window, as the warehouse would have answered them one window at a
    time: `metrics_row_limit` bounds each part (the plain counts, each breakdown column, the app versions),
    a point being one bucket of one grouping and value. Plain counts summed from a fold are counted once
    per (grouping, bucket)."""

    def __init__(self, folds: int, sizes: Sequence[int]) -> None:
        self.folds = folds
        self.points = [[0] * (folds + 1) for _ in sizes]
        self.sizes = sizes
        self.plain: list[dict[tuple[str | None, ...], np.ndarray]] = [{} for _ in sizes]

    def add(self, one: CountedSeries, rows: np.ndarray) -> None:
        self.points[one.span][one.part] += len(rows)
        if one.part == 1:  # the plain counts' buckets of this grouping, should they come from this fold
            seen = self.plain[one.span].get(one.groups)
            if seen is None:
                seen = self.plain[one.span][one.groups] = np.zeros(self.sizes[one.span], dtype=bool)
            seen[rows] = True

    def problem(self, scan: CollectionInput, span: int) -> str | None:
        limit = scan.row_limit if scan.row_limit is not None else 10**9
        points = list(self.points[span])
        if self.folds:
            points[0] = sum(int(seen.sum()) for seen in self.plain[span].values())
        names = ["counts per bucket", *(f"breakdown '{c}'" for c in scan.breakdown_columns), "app versions"]
        for part, total in enumerate(points):
            if total > limit:
                return (f"metrics_row_limit ({limit}) reached: the {names[part]} query returned more than {limit} "
                        "rows; raise metrics_row_limit, collect a shorter window, or narrow the base query")
        return None


def check_limit(problem: str | None) -> None:
    if problem is not None:
        raise MetricsFailed(problem)


def _resolver(scan: CollectionInput, keys: Sequence[str], parts: Sequence[str]
              ) -> Callable[[tuple[str | None, ...]], tuple[list[tuple[str, str]], tuple[str, str] | None]]:
    """Grouping values → the scopes a row counts in (the project total, its event type, its plan event), and
    the identity it renders when no plan event has it."""
    total = str(scan.scan_config_id)
    cache: dict[tuple[str | None, ...], tuple[list[tuple[str, str]], tuple[str, str] | None]] = {}

    def resolve(groups: tuple[str | None, ...]) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
        found = cache.get(groups)
        if found is not None:
            return found
        scopes = [(Scope.project_total.value, total)]
        type_name = scan.bound_type[0] if scan.bound_type else (groups[0] or "")
        values = groups[1:] if scan.event_type_column else groups
        type_id = scan.bound_type[1] if scan.bound_type else scan.types.get(type_name)
        if type_id is not None:
            scopes.append((Scope.event_type.value, str(type_id)))
        missing = None
        name = identity.render(scan.spec, parts, dict(zip(keys, values, strict=True)))
        if name is not None:
            event = scan.events.get((type_name, name))
            if event is not None:
                scopes.append((Scope.event.value, str(event[0])))
            else:
                missing = (type_name, name)
        cache[groups] = found = (scopes, missing)
        return found

    return resolve
