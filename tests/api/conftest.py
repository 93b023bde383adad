"""Fixtures shared by the API tests of one domain; each lives in that domain's support module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api import sources_support
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chDB folder: `events` (recent rows) and `users` (no time column)."""
    return sources_support.lake_fixture(tmp_path_factory)


@pytest.fixture(scope="session")
def warehouse_pg(pg_server: PostgresServer) -> PostgresServer:
    """The test PostgreSQL server with a warehouse database holding the same `events` rows."""
    return sources_support.warehouse_pg_fixture(pg_server)
