"""The aggregate queries of a metrics collection, built from a dialect's vocabulary and run on a
`Warehouse`.

`collection_counts`: every count of one collection in one pass over the window (what a metrics collection
asks): counts per (bucket, group values…) plus, for each fold, counts per (bucket, group values…, folded
value), computed with GROUPING SETS so each row is read (and each JSON document parsed, where the dialect
parses once per row) a single time; ranks and folds each fold on its own; answers one row per
series with its buckets and counts as two arrays, so the answer's size follows the number of series, not
of points. The window may be cut into consecutive spans at `edges` (a replay's chunks): every span is
ranked and folded as if it were counted alone, in the same single pass.

`span_top_values` and `span_distinct_counts`: what a collection plans from the data (the app versions seen,
the low-cardinality columns), for every span of a window in one pass each.

`window_folded_counts`: the value counts per group of any number of time windows (overlapping or not), in
one pass: rows are counted once per grid bucket, buckets are placed in the spans the windows' edges cut,
and each window sums its spans; in each window the `top` most frequent values are kept (ties by value, byte
order) and every other value becomes `Other` with `is_other` set (the distribution drifts at every daily
end of a collection: one query per field for up to 14 ends instead of two per end). LIMIT `limit`: the
caller passes its row limit + 1 to detect overflow. Only aggregates cross the wire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast, runtime_checkable

from tripl_core.warehouse.base import OTHER, Binder, Dialect, FieldRef, ParamKind, SqlQuery, TimeWindow
from tripl_core.warehouse.intervals import Interval, bucket_start
from tripl_core.warehouse.warehouse import Warehouse, utc_or_none


@dataclass(frozen=True)
class Fold:
    """How a breakdown value is folded: keep the `top` values of the window, or the values of `keep`, or
    (`collection_counts` over spans) in span i the values of `keep_by_span[i]`."""

    ref: FieldRef
    top: int | None = None
    keep: tuple[str, ...] | None = None
    keep_by_span: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class WindowCount:
    """One row of `window_folded_counts`: the count of one (folded) value and group in window `window`."""

    window: int
    groups: tuple[str | None, ...]
    value: str | None
    is_other: bool
    count: int


@dataclass(frozen=True)
class CountedSeries:
    """One series of `collection_counts`: `part` 0 is the plain counts (value None, never Other), part i + 1
    the counts of `folds[i]`; `buckets` and `counts` pair up, one entry per non-empty bucket, all inside
    span `span` (0 without edges)."""

    part: int
    groups: tuple[str | None, ...]
    value: str | None
    is_other: bool
    buckets: tuple[datetime, ...]
    counts: tuple[int, ...]
    span: int = 0


@runtime_checkable
class ArrayDialect(Protocol):
    """What `collection_counts` needs beyond `Dialect`: an aggregate building an ordered array."""

    def ordered_array(self, value_sql: str, order_sql: str) -> str: ...


def collection_counts(warehouse: Warehouse, base_query: str, time_column: str, interval: Interval, start: datetime,
                      end: datetime, group_by: Sequence[FieldRef], folds: Sequence[Fold], *,
                      edges: Sequence[datetime] = (), plain: bool = True) -> list[CountedSeries]:
    """`edges` (bucket-aligned, ascending, inside the window) cut it into spans [start, edges[0]), …,
    [edges[-1], end), each ranked and folded on its own. `plain` False leaves the plain counts (part 0) out
    when there are folds: every row falls in exactly one value of a fold, so the caller can sum them from
    any fold's series instead of paying a grouping set of their own."""
    warehouse.check(base_query)
    query = collection_counts_sql(warehouse.dialect, base_query, time_column, interval, start, end, group_by, folds,
                                  edges=edges, plain=plain)
    width = len(group_by)
    moments: dict[Any, datetime] = {}
    out = []
    for row in warehouse.run(query).rows:
        buckets, counts = row[-2], row[-1]
        if len(buckets) != len(counts):
            raise ValueError("the warehouse answered bucket and count arrays of different lengths")
        out.append(CountedSeries(int(row[1]), tuple(_text(v) for v in row[2:2 + width]), _text(row[2 + width]),
                                 bool(int(row[3 + width])), tuple(_moment(b, moments) for b in buckets),
                                 tuple(int(c) for c in counts), int(row[0])))
    return out


def span_index(column_sql: str, edges: Sequence[datetime], bind: Binder) -> str:
    """SQL for the span a time (or bucket) lies in: 0 before edges[0], i between edges[i - 1] and edges[i]."""
    if not edges:
        return "0"
    tests = " ".join(f"WHEN {column_sql} < {bind(edge, ParamKind.TIMESTAMP)} THEN {i}" for i, edge in enumerate(edges))
    return f"CASE {tests} ELSE {len(edges)} END"


def _kept_by_span(dialect: Dialect, keeps: Sequence[tuple[str, ...]], bind: Binder) -> str:
    """The SQL test of a value kept in its span: one IN-list per distinct kept set (spans mostly share one)."""
    spans_of: dict[tuple[str, ...], list[int]] = {}
    for span, keep in enumerate(keeps):
        if keep:
            spans_of.setdefault(keep, []).append(span)
    tests = [f"(tripl_span IN ({', '.join(str(s) for s in spans)}) AND "
             f"{dialect.in_strings('tripl_value', bind(list(keep), ParamKind.STRING_ARRAY))})"
             for keep, spans in spans_of.items()]
    return f"({' OR '.join(tests)})" if tests else "1 = 0"


def collection_counts_sql(dialect: Dialect, base_query: str, time_column: str, interval: Interval, start: datetime,
                          end: datetime, group_by: Sequence[FieldRef], folds: Sequence[Fold], *,
                          edges: Sequence[datetime] = (), plain: bool = True) -> SqlQuery:
    if list(edges) != sorted(edges) or any(not start < edge < end for edge in edges):
        raise ValueError("span edges must ascend strictly inside the window")
    if not isinstance(dialect, ArrayDialect):
        raise TypeError(f"{type(dialect).__name__} has no ordered_array aggregate")
    arrays = cast(ArrayDialect, dialect)
    bind = Binder(dialect)
    source, parsed = dialect.parsed_source(base_query, [fold.ref for fold in folds], bind)
    where = dialect.where(TimeWindow(time_column, start, end), bind)
    bucket = dialect.bucket_expression(dialect.quote_identifier(time_column), interval)
    names = [f"tripl_g{i}" for i in range(len(group_by))]
    columns = [f"{bucket} AS tripl_bucket",
               *(f"{dialect.to_string(dialect.field_expression(ref, bind))} AS tripl_g{i}"
                 for i, ref in enumerate(group_by)),
               *(f"{dialect.to_string(parsed.get(fold.ref) or dialect.field_expression(fold.ref, bind))} AS tripl_v{j}"
                 for j, fold in enumerate(folds))]
    rows = f"SELECT {', '.join(columns)} FROM {source}{where}"
    keys = ", ".join(["tripl_bucket", *names])
    other = bind(OTHER, ParamKind.STRING)
    span = span_index("tripl_bucket", edges, bind)
    if folds:
        sets = ", ".join([*([f"({keys})"] if plain else []), *(f"({keys}, tripl_v{j})" for j in range(len(folds)))])
        part = "CASE " + " ".join(f"WHEN GROUPING(tripl_v{j}) = 0 THEN {j + 1}" for j in range(len(folds))) + \
            " ELSE 0 END"
        value = "CASE " + " ".join(f"WHEN GROUPING(tripl_v{j}) = 0 THEN tripl_v{j}" for j in range(len(folds))) + \
            " END"
        counted = (f"SELECT {keys}, {span} AS tripl_span, {part} AS tripl_part, {value} AS tripl_value, "
                   f"COUNT(*) AS tripl_count FROM ({rows}) AS tripl_rows GROUP BY GROUPING SETS ({sets})")
        totals = ("SELECT *, SUM(tripl_count) OVER (PARTITION BY tripl_span, tripl_part, tripl_value) AS tripl_total "
                  f"FROM ({counted}) AS tripl_c")
        ranked = (f"SELECT *, DENSE_RANK() OVER (PARTITION BY tripl_span, tripl_part ORDER BY tripl_total DESC, "
                  f"{dialect.order_text('tripl_value')} ASC NULLS LAST) AS tripl_rank FROM ({totals}) AS tripl_t")
        tests = ["tripl_part = 0"]
        for j, fold in enumerate(folds):
            if fold.keep_by_span is not None:
                if len(fold.keep_by_span) != len(edges) + 1:
                    raise ValueError("keep_by_span needs one kept set per span")
                tests.append(f"(tripl_part = {j + 1} AND tripl_value IS NOT NULL AND "
                             f"{_kept_by_span(dialect, fold.keep_by_span, bind)})")
            elif fold.keep is not None:
                keep = bind(list(fold.keep), ParamKind.STRING_ARRAY)
                tests.append(f"(tripl_part = {j + 1} AND tripl_value IS NOT NULL AND "
                             f"{dialect.in_strings('tripl_value', keep)})")
            else:
                top = fold.top if fold.top is not None else 10**9
                tests.append(f"(tripl_part = {j + 1} AND tripl_rank <= {bind(top, ParamKind.INT)})")
        kept = " OR ".join(tests)
        marked = (f"SELECT tripl_span, tripl_part, {keys}, CASE WHEN {kept} THEN tripl_value ELSE {other} END "
                  f"AS tripl_folded, CASE WHEN {kept} THEN 0 ELSE 1 END AS tripl_other, tripl_count "
                  f"FROM ({ranked}) AS tripl_r")
    else:
        marked = (f"SELECT {span} AS tripl_span, 0 AS tripl_part, {keys}, NULL AS tripl_folded, "
                  f"0 AS tripl_other, COUNT(*) AS tripl_count FROM ({rows}) AS tripl_rows GROUP BY {keys}")
    series = ", ".join(["tripl_span", "tripl_part", *names, "tripl_folded", "tripl_other"])
    folded = (f"SELECT {series}, tripl_bucket, SUM(tripl_count) AS tripl_sum FROM ({marked}) AS tripl_m "
              f"GROUP BY {series}, tripl_bucket")
    buckets = arrays.ordered_array("tripl_bucket", "tripl_bucket")
    counts = arrays.ordered_array("tripl_sum", "tripl_bucket")
    return bind.query(f"SELECT {series}, {buckets} AS tripl_buckets, {counts} AS tripl_counts FROM ({folded}) "
                      f"AS tripl_f GROUP BY {series}")


def span_top_values(warehouse: Warehouse, base_query: str, ref: FieldRef, limit: int, time_column: str,
                    interval: Interval, start: datetime, end: datetime,
                    edges: Sequence[datetime] = ()) -> list[list[str | None]]:
    """For each span of [start, end) cut at `edges` (on `interval` bucket edges), the `limit` most frequent
    values of `ref` (as strings, NULL as None), ranked as `Warehouse.top_values` ranks a window of its own
    (count, then value in byte order, NULL last), in one pass for all spans. A span without rows has none."""
    warehouse.check(base_query)
    dialect = warehouse.dialect
    bind = Binder(dialect)
    value = dialect.to_string(dialect.field_expression(ref, bind))
    where = dialect.where(TimeWindow(time_column, start, end), bind)
    if edges:
        # Rows are counted per bucket first and the few (bucket, value) counts put in their spans after: one
        # bucket expression per row costs less than the span CASE's comparisons would.
        bucket = dialect.bucket_expression(dialect.quote_identifier(time_column), interval)
        bucketed = (f"SELECT {bucket} AS tripl_bucket, {value} AS tripl_value, COUNT(*) AS tripl_n "
                    f"FROM {dialect.wrap(base_query)}{where} GROUP BY 1, 2")
        counted = (f"SELECT {span_index('tripl_bucket', edges, bind)} AS tripl_span, tripl_value, "
                   f"SUM(tripl_n) AS tripl_count FROM ({bucketed}) AS tripl_b GROUP BY 1, 2")
    else:
        counted = (f"SELECT 0 AS tripl_span, {value} AS tripl_value, COUNT(*) AS tripl_count "
                   f"FROM {dialect.wrap(base_query)}{where} GROUP BY 2")
    ranked = (f"SELECT tripl_span, tripl_value, ROW_NUMBER() OVER (PARTITION BY tripl_span ORDER BY tripl_count "
              f"DESC, {dialect.order_text('tripl_value')} ASC NULLS LAST) AS tripl_rank FROM ({counted}) AS tripl_c")
    query = bind.query(f"SELECT tripl_span, tripl_value FROM ({ranked}) AS tripl_r "
                       f"WHERE tripl_rank <= {bind(limit, ParamKind.INT)} ORDER BY tripl_span, tripl_rank")
    out: list[list[str | None]] = [[] for _ in range(len(edges) + 1)]
    for span_value, one in warehouse.run(query).rows:
        out[int(span_value)].append(_text(one))
    return out


def span_distinct_counts(warehouse: Warehouse, base_query: str, refs: Sequence[FieldRef], time_column: str,
                         start: datetime, end: datetime, edges: Sequence[datetime] = ()) -> list[dict[str, int]]:
    """For each span of [start, end) cut at `edges`, the exact number of distinct non-null values of each
    ref keyed by its label (as `Warehouse.distinct_counts` over that span alone), in one pass."""
    warehouse.check(base_query)
    out: list[dict[str, int]] = [dict.fromkeys((ref.label for ref in refs), 0) for _ in range(len(edges) + 1)]
    if not refs:
        return out
    dialect = warehouse.dialect
    bind = Binder(dialect)
    span = span_index(dialect.quote_identifier(time_column), edges, bind)
    counts = ", ".join(f"{dialect.count_distinct(dialect.field_expression(ref, bind))} AS tripl_d{i}"
                       for i, ref in enumerate(refs))
    where = dialect.where(TimeWindow(time_column, start, end), bind)
    query = bind.query(f"SELECT {span} AS tripl_span, {counts} FROM {dialect.wrap(base_query)}{where} GROUP BY 1")
    for row in warehouse.run(query).rows:
        out[int(row[0])] = {ref.label: int(count) for ref, count in zip(refs, row[1:], strict=True)}
    return out


def _moment(raw: Any, cache: dict[Any, datetime]) -> datetime:
    """A bucket out of an array cell: a datetime (PostgreSQL, BigQuery) or its UTC text (ClickHouse)."""
    moment = cache.get(raw)
    if moment is None:
        moment = utc_or_none(raw) if isinstance(raw, datetime) else datetime.fromisoformat(str(raw)).replace(
            tzinfo=UTC)
        assert moment is not None
        cache[raw] = moment
    return moment


def window_folded_counts(warehouse: Warehouse, base_query: str, time_column: str, grid: Interval,
                         windows: Sequence[tuple[datetime, datetime]], group_by: Sequence[FieldRef], ref: FieldRef,
                         top: int, limit: int) -> list[WindowCount]:
    """Per window [start, end) of `windows` (edges on the `grid`), the rows per group and value of `ref`,
    its `top` values over the window kept and the others folded into Other (ties by value, byte order)."""
    warehouse.check(base_query)
    query = window_folded_counts_sql(warehouse.dialect, base_query, time_column, grid, windows, group_by, ref, top,
                                     limit)
    width = len(group_by)
    return [WindowCount(int(row[0]), tuple(_text(v) for v in row[1:1 + width]), _text(row[1 + width]),
                        bool(int(row[2 + width])), int(row[-1])) for row in warehouse.run(query).rows]


def window_folded_counts_sql(dialect: Dialect, base_query: str, time_column: str, grid: Interval,
                             windows: Sequence[tuple[datetime, datetime]], group_by: Sequence[FieldRef],
                             ref: FieldRef, top: int, limit: int) -> SqlQuery:
    if not windows or any(not start < end for start, end in windows):
        raise ValueError("windows must be non-empty [start, end) ranges")
    edges = sorted({moment for window in windows for moment in window})
    if any(bucket_start(edge, grid) != edge for edge in edges):
        raise ValueError(f"window edges must lie on the {grid.value} grid")
    bind = Binder(dialect)
    span_of = {edge: i for i, edge in enumerate(edges)}
    # window w covers spans span_of[start] … span_of[end] − 1; the integers are tripl's own, not input
    spans = " UNION ALL ".join(f"SELECT {w} AS tripl_w, {span_of[start]} AS tripl_lo, {span_of[end] - 1} AS tripl_hi"
                               for w, (start, end) in enumerate(windows))
    bucket = dialect.bucket_expression(dialect.quote_identifier(time_column), grid)
    names = [f"tripl_g{i}" for i in range(len(group_by))]
    columns = [f"{bucket} AS tripl_bucket",
               *(f"{dialect.to_string(dialect.field_expression(g, bind))} AS {name}" for g, name in zip(group_by, names,
                                                                                                       strict=True)),
               f"{dialect.to_string(dialect.field_expression(ref, bind))} AS tripl_value"]
    where = dialect.where(TimeWindow(time_column, edges[0], edges[-1]), bind)
    keys = ", ".join([*names, "tripl_value"])
    counted = (f"SELECT {', '.join(columns)}, COUNT(*) AS tripl_count FROM {dialect.wrap(base_query)}{where} "
               f"GROUP BY {', '.join(str(i + 1) for i in range(len(columns)))}")
    placed = (f"SELECT {span_index('tripl_bucket', edges[1:-1], bind)} AS tripl_span, {keys}, tripl_count "
              f"FROM ({counted}) AS tripl_c")
    summed = (f"SELECT tripl_w, {keys}, SUM(tripl_count) AS tripl_count FROM ({placed}) AS tripl_p "
              f"CROSS JOIN ({spans}) AS tripl_ws WHERE tripl_span >= tripl_lo AND tripl_span <= tripl_hi "
              f"GROUP BY tripl_w, {keys}")
    totals = (f"SELECT *, SUM(tripl_count) OVER (PARTITION BY tripl_w, tripl_value) AS tripl_total "
              f"FROM ({summed}) AS tripl_s")
    ranked = (f"SELECT *, DENSE_RANK() OVER (PARTITION BY tripl_w ORDER BY tripl_total DESC, "
              f"{dialect.order_text('tripl_value')} ASC NULLS LAST) AS tripl_rank FROM ({totals}) AS tripl_t")
    kept = f"tripl_rank <= {bind(top, ParamKind.INT)}"
    other = bind(OTHER, ParamKind.STRING)
    series = ", ".join(["tripl_w", *names])
    folded = (f"SELECT {series}, CASE WHEN {kept} THEN tripl_value ELSE {other} END AS tripl_folded, "
              f"CASE WHEN {kept} THEN 0 ELSE 1 END AS tripl_other, tripl_count FROM ({ranked}) AS tripl_r")
    order = ", ".join(str(i + 1) for i in range(len(names) + 3))
    return bind.query(f"SELECT {series}, tripl_folded, tripl_other, SUM(tripl_count) AS tripl_sum "
                      f"FROM ({folded}) AS tripl_f GROUP BY {order} ORDER BY {order} "
                      f"LIMIT {bind(limit, ParamKind.INT)}")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
