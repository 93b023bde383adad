"""The same fixture events loaded into every warehouse the tests can run, behind one `warehouse` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conformance.clickhouse_http import ChdbHttpServer, serve_clickhouse_http
from tests.conformance.fixture_data import (
    POSTGRES_DDL,
    Event,
    generate_events,
    postgres_rows,
    write_parquet,
)
from tests.support.postgres import PostgresServer, running_postgres
from tripl_core.warehouse import Warehouse, WarehouseConfig, create_warehouse

CONFORMANCE_DB = "tripl_conformance"
CH_USER, CH_PASSWORD = "reader", "s3cret-ch-password"


@pytest.fixture(scope="session")
def events() -> list[Event]:
    return generate_events()


@pytest.fixture(scope="session")
def parquet_folder(events: list[Event], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parquet")
    write_parquet(events, folder)
    return folder


@pytest.fixture(scope="session")
def warehouse_postgres(events: list[Event]) -> Iterator[PostgresServer]:
    with running_postgres() as server:
        server.create_database(CONFORMANCE_DB)
        with psycopg.connect(server.libpq_dsn(CONFORMANCE_DB), autocommit=True) as connection:
            for ddl in POSTGRES_DDL:
                connection.execute(ddl)
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s)", postgres_rows(events))
                cursor.executemany("INSERT INTO sessions VALUES (%s, %s)", [(1, "u1"), (2, "u2"), (3, "u3")])
        yield server


@pytest.fixture(scope="session")
def clickhouse_http(parquet_folder: Path) -> Iterator[ChdbHttpServer]:
    with serve_clickhouse_http(parquet_folder, CH_USER, CH_PASSWORD) as server:
        yield server


def postgres_config(server: PostgresServer, **overrides: object) -> WarehouseConfig:
    settings: dict[str, object] = {
        "db_type": "postgres",
        "host": server.host,
        "port": server.port,
        "database": CONFORMANCE_DB,
        "username": server.user,
        "timeout_seconds": 10.0,
    }
    settings.update(overrides)
    return WarehouseConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def chdb_warehouse(parquet_folder: Path) -> Iterator[Warehouse]:
    warehouse = create_warehouse(
        WarehouseConfig(db_type="chdb", path=str(parquet_folder), timeout_seconds=10)
    )
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def postgres_warehouse(warehouse_postgres: PostgresServer) -> Iterator[Warehouse]:
    warehouse = create_warehouse(postgres_config(warehouse_postgres))
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def clickhouse_warehouse(clickhouse_http: ChdbHttpServer) -> Iterator[Warehouse]:
    warehouse = create_warehouse(
        WarehouseConfig(
            db_type="clickhouse",
            host=clickhouse_http.host,
            port=clickhouse_http.port,
            username=CH_USER,
            password=CH_PASSWORD,
            timeout_seconds=10,
        )
    )
    yield warehouse
    warehouse.close()


@pytest.fixture(params=["chdb", "postgres", "clickhouse"])
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """Each conformance test runs once per warehouse engine."""
    return request.getfixturevalue(f"{request.param}_warehouse")  # type: ignore[no-any-return]
