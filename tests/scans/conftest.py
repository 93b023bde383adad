"""Warehouses for catalog-scan tests: the same rows in a chDB Parquet folder and in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scans.catalog_support import load_postgres, rows, source_body, write_parquet
from tests.support.postgres import PostgresServer
from tripl_core.sources.schemas import DataSourceCreate


@pytest.fixture(scope="session")
def catalog_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_parquet(tmp_path_factory.mktemp("catalog-lake"), rows())


@pytest.fixture(scope="session")
def catalog_pg(pg_server: PostgresServer) -> PostgresServer:
    load_postgres(pg_server, rows())
    return pg_server


@pytest.fixture(params=["chdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_source(request: pytest.FixtureRequest) -> DataSourceCreate:
    """Each catalog test runs against a chDB folder and a PostgreSQL warehouse."""
    if request.param == "chdb":
        return source_body("chdb", request.getfixturevalue("catalog_lake"), None)
    return source_body("postgres", None, request.getfixturevalue("catalog_pg"))
