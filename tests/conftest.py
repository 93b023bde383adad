"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import copy
import gc
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.sources import support as sources_support
from tests.support.databases import Copies, PostgresCopies, Seed, SeedTemplates, SqliteCopies
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.settings import Settings
from tripl_pipelines.launcher import IN_PROCESS_OVERRIDES

TEST_SECRET = "test-secret-key"
# Every warehouse connection is checked against the owner's switch; processes without an API's settings
# (Dagster runs, direct warehouse tests) read it from the environment. The test warehouses are on loopback.
os.environ.setdefault("TRIPL_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chDB folder: `events` (recent rows) and `users` (no time column)."""
    return sources_support.lake_fixture(tmp_path_factory)


@pytest.fixture(scope="session")
def warehouse_pg(pg_server: PostgresServer) -> PostgresServer:
    """The test PostgreSQL server with a warehouse database holding the same `events` rows."""
    return sources_support.warehouse_pg_fixture(pg_server)


@pytest.fixture(scope="session")
def sqlite_copies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteCopies]:
    copies = SqliteCopies(tmp_path_factory.mktemp("sqlite-templates"))
    yield copies
    copies.close()


@pytest.fixture(scope="session")
def sqlite_template(sqlite_copies: SqliteCopies) -> Path:
    return Path(sqlite_copies.migrated)


@pytest.fixture(scope="session")
def postgres_copies(pg_server: PostgresServer) -> Iterator[PostgresCopies]:
    copies = PostgresCopies(pg_server)
    yield copies
    copies.close()


@pytest.fixture(scope="session")
def seed_templates(tmp_path_factory: pytest.TempPathFactory) -> SeedTemplates:
    return SeedTemplates(lambda: tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def dagster_instance() -> Iterator[DagsterInstance]:
    """A file-backed Dagster instance (see tripl_pipelines/launcher.py for why not the ephemeral one), made
    once per module: creating its storage costs more than most runs the tests launch on it."""
    with tempfile.TemporaryDirectory(prefix="tripl-dagster-") as folder:
        instance = DagsterInstance.local_temp(folder, overrides=IN_PROCESS_OVERRIDES)
        yield instance
        instance.dispose()


@pytest.fixture
def database_seed() -> Seed | None:
    """No seed: each test starts from an empty migrated database. A module overrides it (module-scoped)
    to start each of its tests from a copy of state built once (see tests/support/databases.py)."""
    return None


@dataclass(frozen=True)
class DatabaseCopy:
    url: str
    seed_value: Any = None  # what the module's seed returned, when there is one


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[DatabaseCopy]:
    """A private database for the test, on SQLite and on PostgreSQL, copied from a template."""
    copies: Copies = request.getfixturevalue(f"{request.param}_copies")
    seed: Seed | None = request.getfixturevalue("database_seed")
    if seed is None and "ws" in request.fixturenames:
        seed = EMPTY_WORKSPACE  # its three signed-in people are written once, not per test
    if seed is None:
        url = copies.clone(copies.migrated)
        made = DatabaseCopy(url)
    else:
        seeded = request.getfixturevalue("seed_templates").template(copies, seed)
        url = copies.clone(seeded.template)
        made = DatabaseCopy(url, seeded.value)
    yield made
    copies.drop(url)


@pytest.fixture
def database_url(database: DatabaseCopy) -> str:
    return database.url


def make_settings(database_url: str, state_dir: Path) -> Settings:
    return Settings(state_dir=state_dir, database_url=database_url, secret_key=TEST_SECRET,
                    login_rate_limit="1000/minute", register_rate_limit="1000/minute",
                    # the test warehouses and receivers run on loopback: allowed explicitly, that host only
                    outbound_allowed_hosts="127.0.0.1")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "state")


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
def ws(client: TestClient, db: Database, database: DatabaseCopy) -> Workspace:
    """A workspace with an owner, an editor and a viewer, each with a signed-in client; with a seed, the
    people the seed signed in (a seed value's `ws`)."""
    seeded = getattr(database.seed_value, "ws", None)
    if isinstance(seeded, Workspace):
        return seeded.attached(client, db)
    return Workspace.create(client, db)


@dataclass
class SeededWorkspace:
    """What a workspace seed returns: the signed-in people and what the seed built with them."""

    ws: Workspace
    made: Any


def workspace_seed(key: str, build: Callable[[Workspace, Settings], Any]) -> Seed:
    """A seed that builds state through the real app: `build(ws, settings)` runs with a signed-in
    workspace on the seed database; tests get its result as `database.seed_value.made`."""
    def run(url: str, folder: Path) -> SeededWorkspace:
        settings = make_settings(url, folder / "state")
        with TestClient(create_app(settings)) as client:
            db = Database(url)
            try:
                ws = Workspace.create(client, db)
                return SeededWorkspace(ws, build(ws, settings))
            finally:
                db.dispose()
    return Seed(key, run)


def _empty_workspace(url: str, _folder: Path) -> SeededWorkspace:
    db = Database(url)
    try:
        # the client is a placeholder: `ws` attaches the people to the test's own client
        return SeededWorkspace(Workspace.create(TestClient(FastAPI()), db), None)
    finally:
        db.dispose()


EMPTY_WORKSPACE = Seed("empty-workspace", _empty_workspace)


@pytest.fixture
def seeded(database: DatabaseCopy) -> Any:
    """A private copy of what the module's workspace seed built (ids and bodies)."""
    assert isinstance(database.seed_value, SeededWorkspace), "the module declares no workspace_seed"
    return copy.deepcopy(database.seed_value.made)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `engine_independent` get the SQLite database only: what they check is decided above the
    storage, the same whatever the engine (who may call a route, request validation, upload sniffing,
    proxy headers), and the routes' storage runs on PostgreSQL in the tests of their own domain. A
    `parametrize` mark on the test takes precedence over the fixture's own params, so `database` is
    parametrized once, by this mark (added before pytest's own hooks read the marks)."""
    if "database" in metafunc.fixturenames and metafunc.definition.get_closest_marker("engine_independent"):
        metafunc.definition.add_marker(pytest.mark.parametrize("database", ["sqlite"], indirect=True))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slowest work first so no worker is left alone with a long module at the end: modules
    holding a `slow` test, then the rest in collection order. Each module's tests stay together and in
    order, so `--dist loadscope --no-loadscope-reorder` (./dev.sh test) hands whole modules, and their
    module fixtures and seeds, to one worker in this order. (The fuzz module keeps its place late in the
    run: its memory budget counts growth from its start, and in a fresh process that growth includes
    libraries other modules would have loaded first.)"""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)

    def slow_first(tests: list[pytest.Item]) -> bool:
        return not any(item.get_closest_marker("slow") for item in tests)

    items[:] = [item for tests in sorted(modules.values(), key=slow_first) for item in tests]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collect cyclic garbage less often while the tests run. With the libraries the suite loads, the heap
    holds ~500k objects after collection, and at Python's default thresholds (700, 10, 10) every full
    collection walks them all: on tests/plan, tests/access and tests/photos the collector took 10.5 s of
    ~95 s of CPU (18 full collections of ~0.45 s each). At (5000, 20, 100) it took 3.3–4.2 s, with the same
    peak memory (806 MB). What imports and collection made is frozen out of every later collection first."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 20, 100)
