"""Faults on real engines: timeouts, warehouses that are down or refuse us, and secrets kept out of errors."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from tests.conformance.clickhouse_http import ChdbHttpServer
from tests.conformance.conftest import CONFORMANCE_DB, postgres_config
from tests.support.postgres import PostgresServer
from tripl_core.warehouse import (
    ColumnRef,
    WarehouseConfig,
    WarehouseError,
    WarehouseTimeout,
    create_warehouse,
)
from tripl_core.warehouse.base import SqlQuery

# A legitimate query over the fixture's own table (1,500 rows) that runs far past a one-second timeout:
# the guard refuses sleep() and table functions, so slowness has to come from real work.
SLOW_CLICKHOUSE = (
    "SELECT count() AS n FROM events AS a CROSS JOIN events AS b CROSS JOIN events AS c CROSS JOIN events AS d "
    "WHERE cityHash64(a.id, b.id, c.id, d.id) % 7 = 0"
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_chdb_query_past_the_timeout_fails_with_warehouse_timeout(parquet_folder: Path) -> None:
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(parquet_folder), timeout_seconds=1))
    with pytest.raises(WarehouseTimeout, match="TIMEOUT_EXCEEDED"):
        warehouse.sample(SLOW_CLICKHOUSE, 10)
    assert warehouse.sample("SELECT count() AS n FROM events", 1).rows  # the same warehouse still answers


def test_postgres_query_past_the_timeout_fails_with_warehouse_timeout(
    warehouse_postgres: PostgresServer,
) -> None:
    warehouse = create_warehouse(postgres_config(warehouse_postgres, timeout_seconds=1.0))
    with pytest.raises(WarehouseTimeout, match="statement timeout"):
        warehouse.distinct_counts(
            "SELECT a.id + b.id * c.id AS n FROM events AS a, events AS b, events AS c, events AS d",
            [ColumnRef("n")],
        )
    # The server cancelled the statement: nothing of it still runs there.
    with psycopg.connect(warehouse_postgres.libpq_dsn(CONFORMANCE_DB)) as conn:
        running = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                               "AND query LIKE '%events AS d%' AND pid <> pg_backend_pid()").fetchone()
    assert running == (0,)


def test_clickhouse_query_past_the_timeout_fails_with_warehouse_timeout(
    clickhouse_http: ChdbHttpServer,
) -> None:
    warehouse = create_warehouse(
        WarehouseConfig(
            db_type="clickhouse",
            host=clickhouse_http.host,
            port=clickhouse_http.port,
            username=clickhouse_http.username,
            password=clickhouse_http.password,
            timeout_seconds=1,
        )
    )
    with pytest.raises(WarehouseTimeout, match="TIMEOUT_EXCEEDED"):
        warehouse.sample(SLOW_CLICKHOUSE, 10)


def test_postgres_that_is_down_gives_the_driver_message(warehouse_postgres: PostgresServer) -> None:
    warehouse = create_warehouse(postgres_config(warehouse_postgres, port=_closed_port(), timeout_seconds=2))
    with pytest.raises(WarehouseError, match="connection") as caught:
        warehouse.sample("SELECT 1 AS a", 1)
    assert not isinstance(caught.value, WarehouseTimeout)
    result = warehouse.test()
    assert not result.ok
    assert result.error is not None
    assert "refused" in result.error.lower() or "failed" in result.error.lower()


def test_postgres_unknown_database_is_named(warehouse_postgres: PostgresServer) -> None:
    result = create_warehouse(postgres_config(warehouse_postgres, database="no_such_db")).test()
    assert not result.ok
    assert result.error is not None
    assert "no_such_db" in result.error


def test_postgres_is_read_only_even_past_the_guard(warehouse_postgres: PostgresServer) -> None:
    warehouse = create_warehouse(postgres_config(warehouse_postgres))
    with pytest.raises(WarehouseError, match="read-only transaction"):
        warehouse.run(SqlQuery("CREATE TABLE sneaky (a int)"))


def test_clickhouse_that_is_down_gives_the_driver_message() -> None:
    warehouse = create_warehouse(
        WarehouseConfig(
            db_type="clickhouse", host="127.0.0.1", port=_closed_port(), password="pw-1234", timeout_seconds=2
        )
    )
    result = warehouse.test()
    assert not result.ok
    assert result.error
    assert "pw-1234" not in result.error


def test_clickhouse_wrong_password_is_reported_without_the_password(clickhouse_http: ChdbHttpServer) -> None:
    wrong = "wrong-password-9876"
    warehouse = create_warehouse(
        WarehouseConfig(
            db_type="clickhouse",
            host=clickhouse_http.host,
            port=clickhouse_http.port,
            username=clickhouse_http.username,
            password=wrong,
            timeout_seconds=2,
        )
    )
    result = warehouse.test()
    assert not result.ok
    assert result.error is not None
    assert "Authentication failed" in result.error
    assert wrong not in result.error


def test_chdb_missing_folder_is_reported(tmp_path: Path) -> None:
    result = create_warehouse(WarehouseConfig(db_type="chdb", path=str(tmp_path / "missing"))).test()
    assert not result.ok
    assert result.error is not None
    assert "does not exist" in result.error


def test_chdb_picks_up_new_files(tmp_path: Path, parquet_folder: Path) -> None:
    import shutil

    folder = tmp_path / "lake"
    folder.mkdir()
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder)))
    assert warehouse.schema() == []
    shutil.copy(parquet_folder / "events.parquet", folder / "events.parquet")
    assert [table.name for table in warehouse.schema()] == ["events"]


def test_secret_in_a_warehouse_message_is_scrubbed(warehouse_postgres: PostgresServer) -> None:
    secret = "hunter2-secret"
    warehouse = create_warehouse(postgres_config(warehouse_postgres, password=secret))
    # The value lands in the server's error text; the adapter must not pass it on.
    with pytest.raises(WarehouseError) as caught:
        warehouse.sample(f"SELECT CAST('{secret}' AS integer) AS a", 1)
    assert secret not in caught.value.message
    assert "***" in caught.value.message
