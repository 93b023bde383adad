"""The metrics collection aggregates (counts per bucket and group, breakdown values folded to top N or a
kept list with `Other`, in the warehouse) answer alike on every engine, checked against Python; the
GoogleSQL statements parse."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from tests.conformance.fixture_data import END, START, Event, expected_top, json_value
from tests.conformance.reference_queries import folded_counts, folded_counts_sql
from tripl_core.warehouse import ColumnRef, FieldRef, Interval, JsonRef, TimeWindow, Warehouse, bucket_start
from tripl_core.warehouse.dialects.bigquery import BigQueryDialect
from tripl_core.warehouse.metrics import (
    Fold,
    collection_counts,
    collection_counts_sql,
    span_distinct_counts,
    span_top_values,
    window_folded_counts,
    window_folded_counts_sql,
)

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


def _one_pass(warehouse: Warehouse, interval: Interval, group_by: list[FieldRef],
              folds: list[Fold]) -> dict[tuple[object, ...], int]:
    got: dict[tuple[object, ...], int] = {}
    for series in collection_counts(warehouse, EVENTS, "ts", interval, START, END, group_by, folds):
        assert len(series.buckets) == len(series.counts) == len(set(series.buckets))
        for bucket, count in zip(series.buckets, series.counts, strict=True):
            got[(series.part, bucket, *series.groups, series.value, series.is_other)] = count
    return got


def test_one_pass_collection_equals_each_query_alone(warehouse: Warehouse) -> None:
    """Plain counts, a top-N fold of a JSON path, a top-N fold of a column and a kept-values fold, counted in
    one GROUPING SETS pass, answer exactly what the separate `folded_counts` queries answer."""
    group_by: list[FieldRef] = [ColumnRef("category")]
    folds = [Fold(PAGE, top=2), Fold(ColumnRef("user_id"), top=3), Fold(ColumnRef("category"), keep=("click", "x"))]
    expected: dict[tuple[object, ...], int] = {}
    for part, fold in enumerate([None, *folds]):
        for p in folded_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, START, END, group_by, fold, 10_000):
            expected[(part, p.bucket, *p.groups, p.value, p.is_other)] = p.count
    assert _one_pass(warehouse, Interval.HOUR_6, group_by, folds) == expected
    assert any(key[0] == 1 and key[-1] for key in expected)  # the top-N fold really folded something


def test_one_pass_collection_against_python(warehouse: Warehouse, events: list[Event]) -> None:
    inside = [e for e in events if START <= e.ts < END]
    top = [value for value, _ in expected_top((json_value(e.properties, ("page",)) for e in inside), 2)][:2]
    expected: Counter[tuple[object, ...]] = Counter()
    for e in inside:
        bucket = bucket_start(e.ts, Interval.DAY_1)
        expected[(0, bucket, None, False)] += 1
        page = json_value(e.properties, ("page",))
        expected[(1, bucket, page if page in top else "Other", page not in top)] += 1
    assert _one_pass(warehouse, Interval.DAY_1, [], [Fold(PAGE, top=2)]) == dict(expected)
    plain = _one_pass(warehouse, Interval.DAY_1, [ColumnRef("category")], [])
    assert plain == dict(Counter((0, bucket_start(e.ts, Interval.DAY_1), e.category, None, False) for e in inside))


def test_one_pass_googlesql_parses() -> None:
    query = collection_counts_sql(BigQueryDialect(), EVENTS, "ts", Interval.HOUR_1, START, END,
                                  [ColumnRef("category")], [Fold(PAGE, top=3), Fold(ColumnRef("v"), keep=("1.0.0",))])
    assert sqlglot.parse(query.sql, read="bigquery", error_level=ErrorLevel.RAISE)


# Span edges inside the fixture window on 6-hour edges, one of them the Monday week boundary.
EDGES = [datetime(2024, 1, 6, 6, tzinfo=UTC), datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 1, 9, 18, tzinfo=UTC)]


def _spans() -> list[tuple[datetime, datetime]]:
    cuts = [START, *EDGES, END]
    return list(pairwise(cuts))


def test_spans_are_counted_as_if_each_were_alone(warehouse: Warehouse) -> None:
    """A replay's chunks counted in one pass: each span is ranked (top N) and folded (its own kept values)
    exactly as a collection of that span alone."""
    group_by: list[FieldRef] = [ColumnRef("category")]
    keeps = (("click", "x"), ("signup",), (), ("click", "x"))
    expected: dict[tuple[object, ...], int] = {}
    for span, (start, end) in enumerate(_spans()):
        alone = [Fold(PAGE, top=2), Fold(ColumnRef("user_id"), top=1), Fold(ColumnRef("category"), keep=keeps[span])]
        for series in collection_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, start, end, group_by, alone):
            assert series.span == 0
            for bucket, count in zip(series.buckets, series.counts, strict=True):
                expected[(span, series.part, bucket, *series.groups, series.value, series.is_other)] = count
    folds = [Fold(PAGE, top=2), Fold(ColumnRef("user_id"), top=1), Fold(ColumnRef("category"), keep_by_span=keeps)]
    got: dict[tuple[object, ...], int] = {}
    for plain in (True, False):
        got.clear()
        for series in collection_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, START, END, group_by, folds,
                                        edges=EDGES, plain=plain):
            start, end = _spans()[series.span]
            assert all(start <= bucket < end for bucket in series.buckets)
            for bucket, count in zip(series.buckets, series.counts, strict=True):
                got[(series.span, series.part, bucket, *series.groups, series.value, series.is_other)] = count
        assert got == (expected if plain else {k: v for k, v in expected.items() if k[1] != 0})
    # the spans really rank differently from the window as a whole, and a span keeping nothing folds all
    whole = {(s.value, s.is_other) for s in collection_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, START, END,
                                                              group_by, [Fold(ColumnRef("user_id"), top=1)])}
    assert {(k[-2], k[-1]) for k in expected if k[1] == 2} != whole
    assert all(k[-1] for k in expected if k[0] == 2 and k[1] == 3)


def test_plain_counts_are_the_sum_of_any_fold(warehouse: Warehouse) -> None:
    group_by: list[FieldRef] = [ColumnRef("category")]
    plain: Counter[tuple[object, ...]] = Counter()
    summed: Counter[tuple[object, ...]] = Counter()
    for series in collection_counts(warehouse, EVENTS, "ts", Interval.HOUR_1, START, END, group_by,
                                    [Fold(PAGE, top=2)]):
        into = plain if series.part == 0 else summed
        for bucket, count in zip(series.buckets, series.counts, strict=True):
            into[(bucket, *series.groups)] += count
    assert plain
    assert plain == summed


def test_span_plans_equal_each_span_alone(warehouse: Warehouse) -> None:
    refs: list[FieldRef] = [ColumnRef("category"), ColumnRef("user_id"), PAGE]
    tops = span_top_values(warehouse, EVENTS, ColumnRef("user_id"), 2, "ts", Interval.HOUR_6, START, END, EDGES)
    distinct = span_distinct_counts(warehouse, EVENTS, refs, "ts", START, END, EDGES)
    assert len(tops) == len(distinct) == len(EDGES) + 1
    for span, (start, end) in enumerate(_spans()):
        alone = warehouse.top_values(EVENTS, ColumnRef("user_id"), 2, TimeWindow("ts", start, end))
        assert tops[span] == [v.value for v in alone][:2]  # top_values adds "Other" after them
        assert distinct[span] == warehouse.distinct_counts(EVENTS, refs, TimeWindow("ts", start, end))
    empty = span_top_values(warehouse, EVENTS, ColumnRef("user_id"), 2, "ts", Interval.HOUR_6, END,
                            END + (END - START), [])
    assert empty == [[]]


def test_spans_googlesql_parses() -> None:
    query = collection_counts_sql(BigQueryDialect(), EVENTS, "ts", Interval.HOUR_1, START, END,
                                  [ColumnRef("category")], [Fold(PAGE, top=3),
                                                            Fold(ColumnRef("v"), keep_by_span=(("1.0.0",), (), ("2",),
                                                                                               ("2",)))],
                                  edges=EDGES, plain=False)
    assert sqlglot.parse(query.sql, read="bigquery", error_level=ErrorLevel.RAISE)


# Overlapping windows on 6-hour edges, as a distribution drift's baseline and current windows overlap
# those of the next end: the first and third share a day, the second lies inside the first.
WINDOWS = [(datetime(2024, 1, 6, 6, tzinfo=UTC), datetime(2024, 1, 9, 18, tzinfo=UTC)),
           (datetime(2024, 1, 7, 12, tzinfo=UTC), datetime(2024, 1, 8, tzinfo=UTC)),
           (datetime(2024, 1, 8, 18, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC))]


def test_windows_are_each_folded_as_if_counted_alone(warehouse: Warehouse, events: list[Event]) -> None:
    """`window_folded_counts` answers, per window, what `folded_counts` over that window answers summed
    over its buckets, and what Python counts: each window keeps its own top values."""
    group_by: list[FieldRef] = [ColumnRef("category")]
    got = {(r.window, r.groups, r.value, r.is_other): r.count
           for r in window_folded_counts(warehouse, EVENTS, "ts", Interval.HOUR_6, WINDOWS, group_by, PAGE, 2, 10_000)}
    alone: Counter[tuple[object, ...]] = Counter()
    python: Counter[tuple[object, ...]] = Counter()
    for w, (start, end) in enumerate(WINDOWS):
        for p in folded_counts(warehouse, EVENTS, "ts", Interval.WEEK_1, start, end, group_by, Fold(PAGE, top=2),
                               10_000):
            alone[(w, p.groups, p.value, p.is_other)] += p.count
        inside = [e for e in events if start <= e.ts < end]
        top = [value for value, _ in expected_top((json_value(e.properties, ("page",)) for e in inside), 2)][:2]
        for e in inside:
            page = json_value(e.properties, ("page",))
            python[(w, (e.category,), page if page in top else "Other", page not in top)] += 1
    assert got == dict(alone) == dict(python)
    tops = [{key[2] for key in got if key[0] == w and not key[3]} for w in range(len(WINDOWS))]
    assert tops[0] != tops[1] or tops[1] != tops[2]  # the windows really keep values of their own


def test_window_edges_must_lie_on_the_grid() -> None:
    off = [(datetime(2024, 1, 6, 7, tzinfo=UTC), datetime(2024, 1, 7, tzinfo=UTC))]
    with pytest.raises(ValueError, match="6h grid"):
        window_folded_counts_sql(BigQueryDialect(), EVENTS, "ts", Interval.HOUR_6, off, [], PAGE, 2, 100)


def test_windows_googlesql_parses() -> None:
    query = window_folded_counts_sql(BigQueryDialect(), EVENTS, "ts", Interval.HOUR_6, WINDOWS,
                                     [ColumnRef("category")], PAGE, 3, 100)
    assert sqlglot.parse(query.sql, read="bigquery", error_level=ErrorLevel.RAISE)
