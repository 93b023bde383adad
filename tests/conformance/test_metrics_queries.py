"""The metrics collection aggregates (counts per bucket and group, breakdown values folded to top N or a
kept list with `Other`, in the warehouse) answer alike on every engine, checked against Python; the
GoogleSQL statements parse."""

from __future__ import annotations

from collections import Counter

import sqlglot
from sqlglot.errors import ErrorLevel

from tests.conformance.fixture_data import END, START, Event, expected_top, json_value
from tripl_core.warehouse import ColumnRef, Interval, JsonRef, Warehouse, bucket_start
from tripl_core.warehouse.dialects.bigquery import BigQueryDialect
from tripl_core.warehouse.metrics import Fold, folded_counts, folded_counts_sql

EVENTS = "SELECT * FROM events"
PAGE = JsonRef.parse("properties.page")


def test_counts_per_bucket_and_group(warehouse: Warehouse, events: list[Event]) -> None:
    got = folded_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, START, END, [ColumnRef("category")], None, 10_000)
    expected = Counter((bucket_start(e.ts, Interval.HOUR_6), e.category) for e in events if START <= e.ts < END)
    assert {(p.bucket, p.groups[0]): p.count for p in got} == dict(expected)
    assert all(p.value is None and not p.is_other for p in got)


def test_top_values_over_the_window_with_other_folded(warehouse: Warehouse, events: list[Event]) -> None:
    got = folded_counts(warehouse, EVENTS, "ts", Interval.DAY_1, START, END, [ColumnRef("category")],
                        Fold(PAGE, top=2), 10_000)
    inside = [e for e in events if START <= e.ts < END]
    top = [value for value, _ in expected_top((json_value(e.properties, ("page",)) for e in inside), 2)][:2]
    expected: Counter[tuple[object, ...]] = Counter()
    for e in inside:
        page = json_value(e.properties, ("page",))
        kept = page in top
        expected[(bucket_start(e.ts, Interval.DAY_1), e.category, page if kept else "Other", not kept)] += 1
    assert {(p.bucket, p.groups[0], p.value, p.is_other): p.count for p in got} == dict(expected)


def test_kept_values_fold_the_rest_including_null(warehouse: Warehouse, events: list[Event]) -> None:
    got = folded_counts(warehouse, EVENTS, "ts", Interval.WEEK_1, START, END, [],
                        Fold(ColumnRef("category"), keep=("click", "signup")), 10_000)
    expected: Counter[tuple[object, ...]] = Counter()
    for e in events:
        if START <= e.ts < END:
            kept = e.category in ("click", "signup")
            expected[(bucket_start(e.ts, Interval.WEEK_1), e.category if kept else "Other", not kept)] += 1
    assert {(p.bucket, p.value, p.is_other): p.count for p in got} == dict(expected)


def test_row_limit_bounds_the_answer(warehouse: Warehouse) -> None:
    got = folded_counts(warehouse, EVENTS, "ts", Interval.MIN_15, START, END, [ColumnRef("category")], None, 5)
    assert len(got) == 5


def test_googlesql_statements_parse() -> None:
    dialect = BigQueryDialect()
    for fold in (None, Fold(PAGE, top=3), Fold(ColumnRef("v"), keep=("1.0.0",))):
        query = folded_counts_sql(dialect, EVENTS, "ts", Interval.HOUR_1, START, END, [ColumnRef("category")],
                                  fold, 100)
        assert sqlglot.parse(query.sql, read="bigquery", error_level=ErrorLevel.RAISE)
