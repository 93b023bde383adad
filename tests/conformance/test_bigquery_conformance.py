"""GoogleSQL on a local BigQuery emulator: the same conformance tests as chDB, PostgreSQL and ClickHouse.

Every test of `test_conformance` and `test_catalog_queries` runs here a second time with `warehouse` bound to
BigQuery: the real `BigQueryTransport` (google-cloud-bigquery) and `BigQueryDialect`, talking to bqemulator
(GoogleSQL translated to DuckDB by sqlglot) on a loopback port, over the same fixture events. Where the
emulator, not the SQL, is at fault, the test is marked xfail (strict) with the emulator's error; each such
deviation is listed in docs/warehouses.md.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conformance import test_catalog_queries, test_conformance
from tests.conformance.bigquery_emulator import BigQueryEmulator, load_events, running_bigquery_emulator
from tests.conformance.fixture_data import Event
from tests.support.serving import serving
from tripl_core.warehouse import (
    ColumnRef,
    UnsafeQuery,
    Warehouse,
    WarehouseConfig,
    WarehouseError,
    WarehouseTimeout,
    create_warehouse,
)
from tripl_core.warehouse.base import SqlQuery
from tripl_core.warehouse.dialects.bigquery import BigQueryDialect
from tripl_core.warehouse.transports.bigquery import BigQueryTransport, default_dataset

# The shared tests, collected again in this module where `warehouse` is BigQuery.
for _module in (test_conformance, test_catalog_queries):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            globals()[_name] = _test

# Shared tests the emulator cannot pass although the GoogleSQL is valid: test name -> the emulator's fault.
# Each fault has a minimal reproduction below (test_emulator_*), strict xfails asserting BigQuery's answer.
_BUCKETS = (
    "bqemulator 1.4.0 translates DIV(a - b, n) to DuckDB `a - b // n` (precedence lost, so every timestamp "
    "is its own bucket) and rounds UNIX_SECONDS where BigQuery truncates"
)
_JSON_KEYS = "bqemulator 1.4.0 maps JSON_KEYS to DuckDB json_keys, which lists top-level keys only"
_ARRAY_AGG = (
    "bqemulator 1.4.0 turns ARRAY_AGG(DISTINCT x IGNORE NULLS LIMIT n) into invalid DuckDB SQL "
    "(FILTER(WHERE NOT DISTINCT … LIMIT n IS NULL))"
)
EMULATOR_DEVIATIONS: dict[str, str] = {
    "test_bucket_counts_for_every_interval": _BUCKETS,
    "test_week_buckets_start_on_monday": _BUCKETS,
    "test_bucket_counts_grouped_by_a_column": _BUCKETS,
    "test_bucket_counts_grouped_by_a_json_path": _BUCKETS,
    "test_hourly_row_counts_are_zero_filled": _BUCKETS,
    "test_json_keys_are_leaf_paths_with_row_counts": _JSON_KEYS,
    "test_json_keys_of_a_sample_come_from_the_most_recent_rows": _JSON_KEYS,
    "test_json_keys_of_a_sample_without_a_time_column_read_at_most_its_rows": _JSON_KEYS,
    "test_distinct_counts_stop_at_the_cap": _ARRAY_AGG,
    "test_top_level_json_values_read_alike_in_every_aggregate": _ARRAY_AGG,
    "test_preview_returns_typed_columns_rows_and_json_paths": _JSON_KEYS,
    "test_grouped_rows_hold_counts_times_and_capped_distinct_values": _ARRAY_AGG,
    "test_one_pass_profile_answers_what_the_profile_and_grouped_queries_answer": _ARRAY_AGG,
    "test_one_pass_profile_without_a_type_column_over_no_rows": _ARRAY_AGG,
    "test_two_level_json_paths_read_alike_whatever_the_parent_holds": _ARRAY_AGG,
    "test_schema_lists_tables_and_columns": (
        "bqemulator 1.4.0 answers HTTP 500 (sqlglot TokenError in its INFORMATION_SCHEMA rewrite) for "
        "`dataset`.INFORMATION_SCHEMA.COLUMNS when the job has a default dataset; "
        "see test_schema_sql_without_a_default_dataset"
    ),
}
# Shared tests whose base query is not GoogleSQL: test name -> why, and the GoogleSQL test that replaces it.
NOT_GOOGLESQL: dict[str, str] = {
    "test_string_literal_with_percent_and_quotes_is_kept": (
        "GoogleSQL has no '' escape inside a string literal (BigQuery rejects it too); "
        "see test_googlesql_string_literal_with_percent_and_quotes_is_kept"
    ),
}


@pytest.fixture(scope="session")
def bigquery_emulator(events: list[Event]) -> Iterator[BigQueryEmulator]:
    with running_bigquery_emulator() as emulator:
        load_events(emulator, events)
        yield emulator


def bigquery_config(emulator: BigQueryEmulator, **overrides: object) -> WarehouseConfig:
    settings: dict[str, object] = {
        "db_type": "bigquery",
        "host": emulator.project,
        "database": emulator.dataset,
        "timeout_seconds": 5.0,
        "params": {"api_endpoint": emulator.endpoint},
    }
    settings.update(overrides)
    return WarehouseConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def bigquery_warehouse(bigquery_emulator: BigQueryEmulator) -> Iterator[Warehouse]:
    warehouse = create_warehouse(bigquery_config(bigquery_emulator))
    yield warehouse
    warehouse.close()


@pytest.fixture
def warehouse(request: pytest.FixtureRequest, bigquery_warehouse: Warehouse) -> Warehouse:
    """Overrides the chDB/PostgreSQL/ClickHouse `warehouse` of conftest.py for this module."""
    name = request.node.originalname
    if name in NOT_GOOGLESQL:
        pytest.skip(NOT_GOOGLESQL[name])
    if name in EMULATOR_DEVIATIONS:
        request.node.add_marker(pytest.mark.xfail(reason=EMULATOR_DEVIATIONS[name], strict=True))
    return bigquery_warehouse


def test_the_shared_tests_run_here() -> None:
    shared = {
        name for module in (test_conformance, test_catalog_queries) for name in vars(module) if name.startswith("test_")
    }
    assert shared
    assert shared <= set(globals())
    assert set(EMULATOR_DEVIATIONS) | set(NOT_GOOGLESQL) <= shared


def test_factory_builds_the_bigquery_transport_and_dialect(bigquery_warehouse: Warehouse) -> None:
    assert isinstance(bigquery_warehouse.transport, BigQueryTransport)
    assert isinstance(bigquery_warehouse.dialect, BigQueryDialect)


def test_schema_sql_without_a_default_dataset(bigquery_emulator: BigQueryEmulator) -> None:
    """The dialect's INFORMATION_SCHEMA query, run with no default dataset (which the emulator mishandles)."""
    transport = BigQueryTransport(bigquery_config(bigquery_emulator, database=""))
    try:
        result = transport.execute(BigQueryDialect().schema(bigquery_emulator.dataset), 10)
    finally:
        transport.close()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, column_type in result.rows:
        columns.setdefault(table, []).append((column, column_type))
    assert columns == {
        "events": [
            ("id", "INT64"),
            ("ts", "TIMESTAMP"),
            ("category", "STRING"),
            ("user_id", "STRING"),
            ("properties", "STRING"),
        ],
        "sessions": [("session_id", "INT64"), ("user_id", "STRING")],
    }


def test_default_dataset_is_project_qualified() -> None:
    assert default_dataset("ds", "proj") == "proj.ds"
    assert default_dataset("other.ds", "proj") == "other.ds"
    assert default_dataset("", "proj") is None


def test_bare_table_names_need_the_default_dataset(bigquery_emulator: BigQueryEmulator) -> None:
    warehouse = create_warehouse(bigquery_config(bigquery_emulator, database=""))
    try:
        # Without a default dataset a bare name is no table of the data source: the guard refuses it.
        with pytest.raises(UnsafeQuery, match="table `events` is not a table of this data source"):
            warehouse.sample("SELECT * FROM events", 1)
        qualified = f"SELECT * FROM `{bigquery_emulator.dataset}.events`"
        assert len(warehouse.sample(qualified, 2).rows) == 2
    finally:
        warehouse.close()


def test_unknown_table_is_refused_naming_it(bigquery_warehouse: Warehouse) -> None:
    with pytest.raises(UnsafeQuery, match="table `no_such_table` is not a table of this data source"):
        bigquery_warehouse.sample("SELECT * FROM no_such_table", 1)


def test_unreachable_emulator_fails_within_the_timeout(bigquery_emulator: BigQueryEmulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    config = bigquery_config(
        bigquery_emulator, timeout_seconds=2.0, params={"api_endpoint": f"http://127.0.0.1:{closed_port}"}
    )
    warehouse = create_warehouse(config)
    result = warehouse.test()
    assert not result.ok
    assert result.error
    assert "refused" in result.error.lower()
    warehouse.close()


def test_server_errors_are_not_retried_past_the_timeout(bigquery_emulator: BigQueryEmulator) -> None:
    # google-cloud-bigquery retries HTTP 500 for ten minutes by default; the transport stops at the timeout.
    # The message comes from the transport's own deadline (the client library's would say nothing of it),
    # and the failing server was really asked.
    with _always_failing_server() as (endpoint, requests):
        config = bigquery_config(bigquery_emulator, timeout_seconds=2.0, params={"api_endpoint": endpoint})
        warehouse = create_warehouse(config)
        with pytest.raises(WarehouseError, match=r"no answer within 2 s: .*backend exploded"):
            warehouse.sample("SELECT * FROM events", 1)
        assert requests
        warehouse.close()


@contextmanager
def _always_failing_server() -> Iterator[tuple[str, list[str]]]:
    """A server answering HTTP 500 to everything, and the paths it was asked for."""
    requests: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def _fail(self) -> None:
            requests.append(self.path)
            body = json.dumps({"error": {"code": 500, "message": "backend exploded", "errors": []}}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _fail  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Failing)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests


def test_googlesql_string_literal_with_percent_and_quotes_is_kept(
    bigquery_warehouse: Warehouse, events: list[Event]
) -> None:
    query = r"SELECT * FROM events WHERE category LIKE 'p%' OR user_id = 'it\'s; DROP TABLE events; --'"
    got = bigquery_warehouse.distinct_counts(query, [ColumnRef("category")])
    assert got == {"category": len({e.category for e in events if e.category and e.category.startswith("p")})}


def test_sql_standard_quote_escape_is_refused_by_the_guard(bigquery_warehouse: Warehouse) -> None:
    with pytest.raises(UnsafeQuery, match="could not be parsed as bigquery SQL"):
        bigquery_warehouse.sample("SELECT * FROM events WHERE user_id = 'it''s'", 1)


# -- the emulator's faults, each reduced to one statement with BigQuery's documented answer ----------------


def _scalar(warehouse: Warehouse, sql: str) -> object:
    return warehouse.run(SqlQuery(sql)).rows[0][0]


@pytest.mark.xfail(reason=_BUCKETS, strict=True)
def test_emulator_div_keeps_precedence(bigquery_warehouse: Warehouse) -> None:
    assert _scalar(bigquery_warehouse, "SELECT DIV(7 - 1, 3)") == 2


@pytest.mark.xfail(reason=_BUCKETS, strict=True)
def test_emulator_unix_seconds_truncates(bigquery_warehouse: Warehouse) -> None:
    assert _scalar(bigquery_warehouse, "SELECT UNIX_SECONDS(TIMESTAMP '2024-01-07 23:59:59.999999+00')") == 1704671999


@pytest.mark.xfail(reason=_JSON_KEYS, strict=True)
def test_emulator_json_keys_lists_nested_paths(bigquery_warehouse: Warehouse) -> None:
    assert _scalar(bigquery_warehouse, """SELECT JSON_KEYS(PARSE_JSON('{"b": {"c": 2}, "a": 1}'))""") == [
        "a",
        "b",
        "b.c",
    ]


@pytest.mark.xfail(reason=_ARRAY_AGG, strict=True)
def test_emulator_array_agg_distinct_ignore_nulls_limit(bigquery_warehouse: Warehouse) -> None:
    sql = "SELECT ARRAY_AGG(DISTINCT x IGNORE NULLS LIMIT 2) FROM UNNEST([3, NULL, 3, 1, 2]) AS x"
    assert len(_scalar(bigquery_warehouse, sql)) == 2  # type: ignore[arg-type]


def test_query_past_the_timeout_fails_with_warehouse_timeout(events: list[Event]) -> None:
    # The emulator answers jobs.insert only once the query is done and serves nothing else meanwhile, so
    # this runs on an emulator of its own, stopped (with its query) afterwards.
    with running_bigquery_emulator() as emulator:
        load_events(emulator, events)
        # Real work over the fixture's own table: the guard refuses generated rows (GENERATE_ARRAY).
        events = f"`{emulator.dataset}.events`"
        slow = f"SELECT a.id * b.id + c.id AS n FROM {events} AS a CROSS JOIN {events} AS b CROSS JOIN {events} AS c"
        warehouse = create_warehouse(bigquery_config(emulator, database="", timeout_seconds=1.0))
        with pytest.raises(WarehouseTimeout, match="longer than 1 s"):
            warehouse.distinct_counts(slow, [ColumnRef("n")])
        warehouse.close()
