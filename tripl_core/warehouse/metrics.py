"""The aggregate queries of a metrics collection, built from a dialect's vocabulary and run on a
`Warehouse`.

`collection_counts`: every count of one collection in one pass over the window (what a metrics collection
asks): counts per (bucket, group values…) plus, for each fold, counts per (bucket, group values…, folded
value), computed with GROUPING SETS so each row is read (and each JSON document parsed, where the dialect
parses once per row) a single time; ranks and folds as `folded_counts` does, per fold; answers one row per
series with its buckets and counts as two arrays, so the answer's size follows the number of series, not
of points.

`folded_counts`: rows per (bucket, group values…[, value]) in [start, end), where the value of a
breakdown column is folded in the warehouse: either the `top` most frequent values over the whole window
are kept (ties by value, byte order) or only the values of `keep` are; every other value becomes `Other`
with `is_other` set. Without a value, plain counts per bucket and group. LIMIT `limit`: the caller
passes its row limit + 1 to detect overflow. Only aggregates cross the wire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast, runtime_checkable

from tripl_core.warehouse.base import OTHER, Binder, Dialect, FieldRef, ParamKind, SqlQuery, TimeWindow
from tripl_core.warehouse.intervals import Interval
from tripl_core.warehouse.warehouse import Warehouse, utc_or_none


@dataclass(frozen=True)
class Fold:
    """How a breakdown value is folded: keep the `top` values of the window, or the values of `keep`."""

    ref: FieldRef
    top: int | None = None
    keep: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FoldedCount:
    bucket: datetime
    groups: tuple[str | None, ...]
    value: str | None
    is_other: bool
    count: int


@dataclass(frozen=True)
class CountedSeries:
    """One series of `collection_counts`: `part` 0 is the plain counts (value None, never Other), part i + 1
    the counts of `folds[i]`; `buckets` and `counts` pair up, one entry per non-empty bucket."""

    part: int
    groups: tuple[str | None, ...]
    value: str | None
    is_other: bool
    buckets: tuple[datetime, ...]
    counts: tuple[int, ...]


@runtime_checkable
class ArrayDialect(Protocol):
    """What `collection_counts` needs beyond `Dialect`: an aggregate building an ordered array."""

    def ordered_array(self, value_sql: str, order_sql: str) -> str: ...


def collection_counts(warehouse: Warehouse, base_query: str, time_column: str, interval: Interval, start: datetime,
                      end: datetime, group_by: Sequence[FieldRef], folds: Sequence[Fold]) -> list[CountedSeries]:
    warehouse.check(base_query)
    query = collection_counts_sql(warehouse.dialect, base_query, time_column, interval, start, end, group_by, folds)
    width = len(group_by)
    moments: dict[Any, datetime] = {}
    out = []
    for row in warehouse.run(query).rows:
        buckets, counts = row[-2], row[-1]
        if len(buckets) != len(counts):
            raise ValueError("the warehouse answered bucket and count arrays of different lengths")
        out.append(CountedSeries(int(row[0]), tuple(_text(v) for v in row[1:1 + width]), _text(row[1 + width]),
                                 bool(int(row[2 + width])), tuple(_moment(b, moments) for b in buckets),
                                 tuple(int(c) for c in counts)))
    return out


def collection_counts_sql(dialect: Dialect, base_query: str, time_column: str, interval: Interval, start: datetime,
                          end: datetime, group_by: Sequence[FieldRef], folds: Sequence[Fold]) -> SqlQuery:
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
    if folds:
        sets = ", ".join([f"({keys})", *(f"({keys}, tripl_v{j})" for j in range(len(folds)))])
        part = "CASE " + " ".join(f"WHEN GROUPING(tripl_v{j}) = 0 THEN {j + 1}" for j in range(len(folds))) + \
            " ELSE 0 END"
        value = "CASE " + " ".join(f"WHEN GROUPING(tripl_v{j}) = 0 THEN tripl_v{j}" for j in range(len(folds))) + \
            " END"
        counted = (f"SELECT {keys}, {part} AS tripl_part, {value} AS tripl_value, COUNT(*) AS tripl_count "
                   f"FROM ({rows}) AS tripl_rows GROUP BY GROUPING SETS ({sets})")
        totals = ("SELECT *, SUM(tripl_count) OVER (PARTITION BY tripl_part, tripl_value) AS tripl_total "
                  f"FROM ({counted}) AS tripl_c")
        ranked = (f"SELECT *, DENSE_RANK() OVER (PARTITION BY tripl_part ORDER BY tripl_total DESC, "
                  f"{dialect.order_text('tripl_value')} ASC NULLS LAST) AS tripl_rank FROM ({totals}) AS tripl_t")
        tests = ["tripl_part = 0"]
        for j, fold in enumerate(folds):
            if fold.keep is not None:
                keep = bind(list(fold.keep), ParamKind.STRING_ARRAY)
                tests.append(f"(tripl_part = {j + 1} AND tripl_value IS NOT NULL AND "
                             f"{dialect.in_strings('tripl_value', keep)})")
            else:
                top = fold.top if fold.top is not None else 10**9
                tests.append(f"(tripl_part = {j + 1} AND tripl_rank <= {bind(top, ParamKind.INT)})")
        kept = " OR ".join(tests)
        marked = (f"SELECT tripl_part, {keys}, CASE WHEN {kept} THEN tripl_value ELSE {other} END AS tripl_folded, "
                  f"CASE WHEN {kept} THEN 0 ELSE 1 END AS tripl_other, tripl_count FROM ({ranked}) AS tripl_r")
    else:
        marked = (f"SELECT 0 AS tripl_part, {keys}, NULL AS tripl_folded, "
                  f"0 AS tripl_other, COUNT(*) AS tripl_count FROM ({rows}) AS tripl_rows GROUP BY {keys}")
    series = ", ".join(["tripl_part", *names, "tripl_folded", "tripl_other"])
    folded = (f"SELECT {series}, tripl_bucket, SUM(tripl_count) AS tripl_sum FROM ({marked}) AS tripl_m "
              f"GROUP BY {series}, tripl_bucket")
    buckets = arrays.ordered_array("tripl_bucket", "tripl_bucket")
    counts = arrays.ordered_array("tripl_sum", "tripl_bucket")
    return bind.query(f"SELECT {series}, {buckets} AS tripl_buckets, {counts} AS tripl_counts FROM ({folded}) "
                      f"AS tripl_f GROUP BY {series}")


def _moment(raw: Any, cache: dict[Any, datetime]) -> datetime:
    """A bucket out of an array cell: a datetime (PostgreSQL, BigQuery) or its UTC text (ClickHouse)."""
    moment = cache.get(raw)
    if moment is None:
        moment = utc_or_none(raw) if isinstance(raw, datetime) else datetime.fromisoformat(str(raw)).replace(
            tzinfo=UTC)
        assert moment is not None
        cache[raw] = moment
    return moment


def folded_counts(warehouse: Warehouse, base_query: str, time_column: str, interval: Interval, start: datetime,
                  end: datetime, group_by: Sequence[FieldRef], fold: Fold | None, limit: int) -> list[FoldedCount]:
    warehouse.check(base_query)
    query = folded_counts_sql(warehouse.dialect, base_query, time_column, interval, start, end, group_by, fold,
                              limit)
    width = len(group_by)
    out = []
    for row in warehouse.run(query).rows:
        bucket = utc_or_none(row[0])
        assert bucket is not None
        groups = tuple(_text(v) for v in row[1:1 + width])
        if fold is None:
            out.append(FoldedCount(bucket, groups, None, False, int(row[-1])))
        else:
            out.append(FoldedCount(bucket, groups, _text(row[1 + width]), bool(int(row[2 + width])),
                                   int(row[-1])))
    return out


def folded_counts_sql(dialect: Dialect, base_query: str, time_column: str, interval: Interval, start: datetime,
                      end: datetime, group_by: Sequence[FieldRef], fold: Fold | None, limit: int) -> SqlQuery:
    bind = Binder(dialect)
    bucket = dialect.bucket_expression(dialect.quote_identifier(time_column), interval)
    groups = [f"{dialect.to_string(dialect.field_expression(ref, bind))} AS tripl_g{i}"
              for i, ref in enumerate(group_by)]
    names = [f"tripl_g{i}" for i in range(len(group_by))]
    columns = [f"{bucket} AS tripl_bucket", *groups]
    if fold is not None:
        columns.append(f"{dialect.to_string(dialect.field_expression(fold.ref, bind))} AS tripl_value")
    where = dialect.where(TimeWindow(time_column, start, end), bind)
    width = len(columns)
    positions = ", ".join(str(i + 1) for i in range(width))
    counted = (f"SELECT {', '.join(columns)}, COUNT(*) AS tripl_count FROM {dialect.wrap(base_query)}{where} "
               f"GROUP BY {positions}")
    row_limit = bind(limit, ParamKind.INT)
    if fold is None:
        return bind.query(f"{counted} ORDER BY {positions} LIMIT {row_limit}")
    kept = _kept_condition(dialect, fold, counted, bind)
    source, condition = kept
    other = bind(OTHER, ParamKind.STRING)
    keys = ", ".join(["tripl_bucket", *names])
    folded = (f"SELECT {keys}, CASE WHEN {condition} THEN tripl_value ELSE {other} END AS tripl_folded, "
              f"CASE WHEN {condition} THEN 0 ELSE 1 END AS tripl_other, SUM(tripl_count) AS tripl_sum "
              f"FROM {source} GROUP BY {', '.join(str(i + 1) for i in range(width + 1))}")
    return bind.query(f"SELECT * FROM ({folded}) AS tripl_f ORDER BY {', '.join(str(i + 1) for i in range(width + 1))}"
                      f" LIMIT {row_limit}")


def _kept_condition(dialect: Dialect, fold: Fold, counted: str, bind: Binder) -> tuple[str, str]:
    """The relation to fold from and the SQL condition under which a value is kept."""
    if fold.keep is not None:
        keep = bind(list(fold.keep), ParamKind.STRING_ARRAY)
        return f"({counted}) AS tripl_counted", f"tripl_value IS NOT NULL AND {dialect.in_strings('tripl_value', keep)}"
    top = fold.top if fold.top is not None else 10**9
    totals = f"SELECT *, SUM(tripl_count) OVER (PARTITION BY tripl_value) AS tripl_total FROM ({counted}) AS tripl_c"
    ranked = (f"SELECT *, DENSE_RANK() OVER (ORDER BY tripl_total DESC, {dialect.order_text('tripl_value')} ASC "
              f"NULLS LAST) AS tripl_rank FROM ({totals}) AS tripl_t")
    return f"({ranked}) AS tripl_ranked", f"tripl_rank <= {bind(top, ParamKind.INT)}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
