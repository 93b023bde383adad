"""Per-window reference queries the conformance tests hold the one-pass metrics queries to: `folded_counts`
counts rows per (bucket, group values…[, value]) in [start, end), where the value is folded in the
warehouse: either the `top` most frequent values over the whole window are kept (ties by value, byte
order) or only the values of `keep` are; every other value becomes `Other` with `is_other` set. Without a
value, plain counts per bucket and group. It is itself checked against Python on every engine
(test_metrics_queries.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tripl_core.warehouse import FieldRef, Interval, TimeWindow, Warehouse
from tripl_core.warehouse.base import OTHER, Binder, Dialect, ParamKind, SqlQuery
from tripl_core.warehouse.metrics import Fold
from tripl_core.warehouse.warehouse import utc_or_none


@dataclass(frozen=True)
class FoldedCount:
    bucket: datetime
    groups: tuple[str | None, ...]
    value: str | None
    is_other: bool
    count: int



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
