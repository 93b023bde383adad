"""Every warehouse answers the same questions over the same events with the answer computed in Python.

Runs on chDB (Parquet folder), PostgreSQL (a server the tests start) and ClickHouse through
clickhouse-connect (chDB behind a loopback ClickHouse HTTP interface).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conformance.fixture_data import (
    END,
    START,
    Event,
    expected_buckets,
    expected_grouped,
    expected_json_keys,
    expected_top,
    json_value,
)
from tripl_core.warehouse import (
    ColumnRef,
    Interval,
    JsonRef,
    TimeWindow,
    UnsafeQuery,
    Warehouse,
)

EVENTS = "SELECT * FROM events"


@pytest.mark.parametrize("interval", list(Interval))
def test_bucket_counts_for_every_interval(
    warehouse: Warehouse, events: list[Event], interval: Interval
) -> None:
    got = warehouse.bucket_counts(EVENTS, "ts", interval, START, END)
    assert {point.bucket: point.count for point in got} == expected_buckets(events, interval, START, END)
    assert [point.bucket for point in got] == sorted(point.bucket for point in got)


def test_week_buckets_start_on_monday(warehouse: Warehouse, events: list[Event]) -> None:
    got = warehouse.bucket_counts(EVENTS, "ts", Interval.WEEK_1, START, END)
    assert [point.bucket for point in got] == [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 8, tzinfo=UTC),
    ]
    assert all(point.bucket.weekday() == 0 for point in got)
    # The row at Monday 00:00 opens the new week; the one a microsecond earlier closes the old one.
    monday = datetime(2024, 1, 8, tzinfo=UTC)
    edge = warehouse.bucket_counts(
        EVENTS, "ts", Interval.WEEK_1, monday - timedelta(microseconds=1), monday + timedelta(microseconds=1)
    )
    assert [(point.bucket, point.count) for point in edge] == [
        (datetime(2024, 1, 1, tzinfo=UTC), 1),
        (monday, 1),
    ]


def test_window_is_half_open(warehouse: Warehouse, events: list[Event]) -> None:
    start, end = datetime(2024, 1, 7, 23, 45, tzinfo=UTC), datetime(2024, 1, 8, 6, tzinfo=UTC)
    got = warehouse.bucket_counts(EVENTS, "ts", Interval.MIN_15, start, end)
    assert sum(point.count for point in got) == sum(1 for e in events if start <= e.ts < end)
    assert got[0].bucket == start
    assert got[-1].bucket < end


def test_bucket_counts_grouped_by_a_column(warehouse: Warehouse, events: list[Event]) -> None:
    got = warehouse.bucket_counts(EVENTS, "ts", Interval.DAY_1, START, END, [ColumnRef("category")])
    assert {(p.bucket, p.groups[0]): p.count for p in got} == expected_grouped(
        events, Interval.DAY_1, START, END
    )


def test_bucket_counts_grouped_by_a_json_path(warehouse: Warehouse, events: list[Event]) -> None:
    got = warehouse.bucket_counts(
        EVENTS, "ts", Interval.DAY_1, START, END, [JsonRef.parse("properties.user.plan")]
    )
    expected: dict[tuple[datetime, str | None], int] = {}
    for e in events:
        key = (
            datetime(e.ts.year, e.ts.month, e.ts.day, tzinfo=UTC),
            json_value(e.properties, ("user", "plan")),
        )
        expected[key] = expected.get(key, 0) + 1
    assert {(p.bucket, p.groups[0]): p.count for p in got} == expected


def test_exact_distinct_counts(warehouse: Warehouse, events: list[Event]) -> None:
    refs = [ColumnRef("category"), ColumnRef("user_id"), ColumnRef("id"), JsonRef.parse("properties.page")]
    got = warehouse.distinct_counts(EVENTS, refs)
    assert got == {
        "category": len({e.category for e in events if e.category is not None}),
        "user_id": len({e.user_id for e in events}),
        "id": len(events),
        "properties.page": len({json_value(e.properties, ("page",)) for e in events} - {None}),
    }


def test_distinct_counts_within_a_time_window(warehouse: Warehouse, events: list[Event]) -> None:
    window = TimeWindow("ts", datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 1, 9, tzinfo=UTC))
    got = warehouse.distinct_counts(EVENTS, [ColumnRef("user_id")], window)
    assert got == {"user_id": len({e.user_id for e in events if window.start <= e.ts < window.end})}


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_top_values_fold_the_rest_into_other(warehouse: Warehouse, events: list[Event], limit: int) -> None:
    got = warehouse.top_values(EVENTS, ColumnRef("category"), limit)
    assert [(v.value, v.count) for v in got] == expected_top((e.category for e in events), limit)
    assert sum(v.count for v in got) == len(events)


def test_top_values_of_a_json_path(warehouse: Warehouse, events: list[Event]) -> None:
    got = warehouse.top_values(EVENTS, JsonRef.parse("properties.user.plan"), 2)
    expected = expected_top((json_value(e.properties, ("user", "plan")) for e in events), 2)
    assert [(v.value, v.count) for v in got] == expected


@pytest.mark.parametrize(
    "path",
    [("page",), ("user", "plan"), ("user", "age"), ("user", "address", "country"), ("flag",), ("referrer",)],
)
def test_json_values_at_a_path(warehouse: Warehouse, events: list[Event], path: tuple[str, ...]) -> None:
    got = warehouse.top_values(EVENTS, JsonRef("properties", path), 1000)
    expected = expected_top((json_value(e.properties, path) for e in events), 1000)
    assert sorted(got, key=lambda v: (v.value is None, v.value or "")) == sorted(
        (type(got[0])(value, count) for value, count in expected),
        key=lambda v: (v.value is None, v.value or ""),
    )


def test_json_keys_are_leaf_paths_with_row_counts(warehouse: Warehouse, events: list[Event]) -> None:
    got = warehouse.json_keys(EVENTS, "properties")
    assert {key.path: key.count for key in got} == expected_json_keys(events)
    assert "referrer" not in {key.path for key in got}  # JSON null holds no path
    assert "user" not in {key.path for key in got}  # an object is not a leaf


def test_hourly_row_counts_are_zero_filled(warehouse: Warehouse, events: list[Event]) -> None:
    now = datetime(2024, 1, 8, 5, 30, tzinfo=UTC)
    got = warehouse.hourly_counts(EVENTS, "ts", 24, now)
    assert len(got) == 24
    assert got[-1].bucket == datetime(2024, 1, 8, 5, tzinfo=UTC)
    assert got[0].bucket == datetime(2024, 1, 7, 6, tzinfo=UTC)
    for point in got:
        assert point.count == sum(
            1 for e in events if point.bucket <= e.ts < point.bucket + timedelta(hours=1)
        )


def test_hourly_counts_past_the_data_are_zero(warehouse: Warehouse) -> None:
    got = warehouse.hourly_counts(EVENTS, "ts", 3, datetime(2030, 1, 1, tzinfo=UTC))
    assert [point.count for point in got] == [0, 0, 0]


def test_schema_lists_tables_and_columns(warehouse: Warehouse) -> None:
    tables = {table.name: [column.name for column in table.columns] for table in warehouse.schema()}
    assert tables == {
        "events": ["id", "ts", "category", "user_id", "properties"],
        "sessions": ["session_id", "user_id"],
    }
    types = {
        column.name: column.type.lower()
        for column in next(t for t in warehouse.schema() if t.name == "events").columns
    }
    assert "int" in types["id"]
    assert "time" in types["ts"]


def test_preview_returns_typed_columns_rows_and_json_paths(warehouse: Warehouse, events: list[Event]) -> None:
    preview = warehouse.preview(
        "SELECT id, ts, category, properties FROM events ORDER BY id", 5, include_json_paths=True
    )
    assert [column.name for column in preview.columns] == ["id", "ts", "category", "properties"]
    assert all(column.type for column in preview.columns)
    assert [row[0] for row in preview.rows] == [1, 2, 3, 4, 5]
    assert [row[1] for row in preview.rows] == [e.ts for e in events[:5]]
    assert preview.json_paths is not None
    assert {key.path: key.count for key in preview.json_paths} == {
        f"properties.{path}": count for path, count in expected_json_keys(events).items()
    }


def test_preview_is_capped_at_fifty_rows_and_skips_json_unless_asked(warehouse: Warehouse) -> None:
    preview = warehouse.preview(EVENTS, 500)
    assert len(preview.rows) == 50
    assert preview.json_paths is None


def test_sample_is_bounded(warehouse: Warehouse) -> None:
    assert len(warehouse.sample(EVENTS, 7).rows) == 7


def test_base_query_with_cte_join_and_trailing_semicolon(warehouse: Warehouse, events: list[Event]) -> None:
    query = (
        "WITH e AS (SELECT * FROM events WHERE category = 'click') "
        "SELECT e.id, e.ts, s.session_id FROM e LEFT JOIN sessions AS s ON s.user_id = e.user_id;"
    )
    got = warehouse.bucket_counts(query, "ts", Interval.WEEK_1, START, END)
    assert sum(point.count for point in got) == sum(1 for e in events if e.category == "click")


def test_string_literal_with_percent_and_quotes_is_kept(warehouse: Warehouse, events: list[Event]) -> None:
    query = "SELECT * FROM events WHERE category LIKE 'p%' OR user_id = 'it''s; DROP TABLE events; --'"
    got = warehouse.distinct_counts(query, [ColumnRef("category")])
    assert got == {"category": len({e.category for e in events if e.category and e.category.startswith("p")})}


def test_unsafe_base_query_never_reaches_the_warehouse(warehouse: Warehouse) -> None:
    with pytest.raises(UnsafeQuery, match="2 statements"):
        warehouse.sample("SELECT * FROM events; DROP TABLE events", 1)
    assert warehouse.sample(EVENTS, 1).rows


def test_identifiers_are_quoted_not_pasted(warehouse: Warehouse) -> None:
    # A hostile column name is only ever an identifier: the warehouse reports an unknown column.
    from tripl_core.warehouse import WarehouseError

    with pytest.raises(WarehouseError):
        warehouse.distinct_counts(EVENTS, [ColumnRef('category") FROM events; DROP TABLE events; --')])
    assert warehouse.sample(EVENTS, 1).rows


def test_connection_test_reports_ok(warehouse: Warehouse) -> None:
    result = warehouse.test()
    assert result.ok
    assert result.error is None
    assert result.latency_ms >= 0
