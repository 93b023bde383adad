"""Per-test app databases copied from templates instead of migrated or cleaned per test.

Each engine keeps one migrated template per session (per xdist worker): SQLite copies its file into a
folder in memory (tests/support/scratch.py) and removes it after the test,
PostgreSQL clones it with `CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY` (a few tens of
milliseconds, a third of a TRUNCATE of every table) and drops the clone after the test. The test's copy has
the same name in every test of a worker, so every test's `Database` gets the same engines from the process's
engine cache (tripl_core/db/engine.py) and a statement compiles once per worker instead of once per test;
dropping it closes those engines' pooled connections first. A test module
whose tests all start from the same expensive state (a full metrics collection) declares a `Seed`:
the state is built once per engine into a database of its own, which then serves as the template of
each of the module's tests, so every test still starts from an identical, private copy.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy.engine import make_url

from tests.support.postgres import PostgresServer
from tests.support.scratch import memory_folder
from tripl_core.db.engine import close_connections
from tripl_core.db.migrate import upgrade


class Copies(Protocol):
    """Templates of one engine: `migrated` is the template of an empty, migrated database."""

    kind: str
    migrated: str

    def clone(self, template: str) -> str:
        """The test's database, copied from `template` under the worker's one test name; its SQLAlchemy URL."""

    def copy(self, template: str) -> str:
        """A database of a new name copied from `template` (a seed's, to `keep`); its SQLAlchemy URL."""

    def drop(self, url: str) -> None:
        """Remove a database made by `clone` or `copy`, closing this process's pooled connections to it."""

    def keep(self, url: str) -> str:
        """Turn a database made by `copy` into a template for later clones."""


@dataclass
class SqliteCopies:
    folder: Path
    kind: str = "sqlite"
    migrated: str = ""
    # the clones' folder; `folder` (pytest's, on disk) keeps the migrated template
    scratch: Path = field(default_factory=lambda: memory_folder("sqlite"))
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        path = self.folder / "migrated.db"
        upgrade(f"sqlite+pysqlite:///{path}")
        self.migrated = str(path)

    def clone(self, template: str) -> str:
        return self._copied(template, "tripl-test.db")

    def copy(self, template: str) -> str:
        return self._copied(template, f"tripl-{next(self._names)}.db")

    def _copied(self, template: str, name: str) -> str:
        target = self.scratch / name
        shutil.copy(template, target)
        return f"sqlite+pysqlite:///{target}"

    def drop(self, url: str) -> None:
        close_connections(url)
        path = Path(make_url(url).database or "")
        for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            file.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the scratch folder (templates kept by seeds included) at the end of the session."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def keep(self, url: str) -> str:
        path = Path(make_url(url).database or "")
        # WAL mode: fold the log into the main file so a plain file copy holds every committed row
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        return str(path)


@dataclass
class PostgresCopies:
    server: PostgresServer
    kind: str = "postgres"
    migrated: str = ""
    _names: itertools.count[int] = field(default_factory=itertools.count)

    # named per xdist worker: with TRIPL_TEST_POSTGRES_URL the workers share one server
    prefix: str = field(default_factory=lambda: f"tripl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    _connection: psycopg.Connection[Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.migrated = f"{self.prefix}_migrated"
        upgrade(self.server.create_database(self.migrated))

    def clone(self, template: str) -> str:
        return self._copied(template, f"{self.prefix}_test")

    def copy(self, template: str) -> str:
        return self._copied(template, f"{self.prefix}_copy_{next(self._names)}")

    def _copied(self, template: str, name: str) -> str:
        self._admin().execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.server.url(name)

    def drop(self, url: str) -> None:
        close_connections(url)
        self._admin().execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def keep(self, url: str) -> str:
        name = make_url(url).database or ""
        # a template must have no sessions: end the ones a background thread of the seeding app kept
        self._admin().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        return name

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _admin(self) -> psycopg.Connection[Any]:
        """One connection to the `postgres` database for the session's clones and drops (a new one per
        call cost a server process start twice per test); made again if the server dropped it."""
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._connection = psycopg.connect(self.server.libpq_dsn("postgres"), autocommit=True)
        return self._connection


@dataclass(frozen=True)
class Seed:
    """State a whole test module starts from. `build(url, folder)` fills the database at `url` and returns
    what the tests need to know about it (ids, the signed-in workspace, …); `key` names it uniquely."""

    key: str
    build: Callable[[str, Path], Any]


@dataclass
class Seeded:
    template: str
    value: Any


@dataclass
class SeedTemplates:
    """Seeds built so far in this session, by engine and key."""

    new_folder: Callable[[], Path]
    built: dict[tuple[str, str], Seeded] = field(default_factory=dict)

    def template(self, copies: Copies, seed: Seed) -> Seeded:
        found = self.built.get((copies.kind, seed.key))
        if found is None:
            folder = self.new_folder()
            url = copies.copy(copies.migrated)
            value = seed.build(url, folder)
            found = Seeded(template=copies.keep(url), value=value)
            self.built[(copies.kind, seed.key)] = found
        return found
