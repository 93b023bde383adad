"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.postgres import PostgresServer, running_postgres
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.base import Base
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.settings import Settings

TEST_SECRET = "test-secret-key"
# Every warehouse connection is checked against the owner's switch; processes without an API's settings
# (Dagster runs, direct warehouse tests) read it from the environment. The test warehouses are on loopback.
os.environ.setdefault("TRIPL_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "tripl.db"
    upgrade(f"sqlite+pysqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated_url(pg_server: PostgresServer) -> str:
    url = pg_server.create_database("tripl_test")
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        target = tmp_path / "tripl.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite+pysqlite:///{target}"
        return
    url: str = request.getfixturevalue("pg_migrated_url")
    yield url
    _truncate_all(url)


def _truncate_all(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", database_url=database_url, secret_key=TEST_SECRET,
                    login_rate_limit="1000/minute", register_rate_limit="1000/minute",
                    # the test warehouses and receivers run on loopback: allowed explicitly, that host only
                    outbound_allowed_hosts="127.0.0.1")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.resolved_database_url)
    yield database
    database.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def ws(client: TestClient, db: Database) -> Workspace:
    """A workspace with an owner, an editor and a viewer, each with a signed-in client."""
    return Workspace.create(client, db)
