"""Engines and sessions for the app database (SQLite in WAL mode, or PostgreSQL).

A process keeps one engine per database URL and connection options (`_ENGINES`), as SQLAlchemy advises:
every `Database` made for the same database (the API's, a Dagster resource's on each run and sensor tick, an
in-process run's beside the API's) shares its pool and its compiled-statement cache. That cache belongs to
the engine, so a statement compiles once per process instead of once per `Database`; compiling was ~12% of
a test worker's CPU while each test's database had engines of its own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """The app database. On SQLite, writers open `BEGIN IMMEDIATE` so they queue on the busy timeout
    instead of failing with "database is locked" when a read transaction later tries to write; readers
    use plain deferred transactions so they never wait for writers (WAL)."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _shared((url, sqlite_busy_timeout_ms, "write"),
                                  lambda: _sqlite_engine(url, sqlite_busy_timeout_ms, immediate=True))
            self.read_engine = _shared((url, sqlite_busy_timeout_ms, "read"),
                                       lambda: _sqlite_engine(url, sqlite_busy_timeout_ms, immediate=False))
        else:
            self.engine = _shared((url, 0, "write"),
                                  lambda: create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30))
            self.read_engine = self.engine
        self._write_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._read_factory = sessionmaker(bind=self.read_engine, expire_on_commit=False)

    @property
    def write_sessions(self) -> sessionmaker[Session]:
        """The factory of write sessions, for listeners that follow every write (search freshness)."""
        return self._write_factory

    def session(self, *, write: bool = True) -> Session:
        return (self._write_factory if write else self._read_factory)()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A unit of work outside HTTP (CLI, pipelines): commit on success, roll back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close the pools' idle connections. The engines stay usable (a later checkout opens a new
        connection), so other `Database` objects on the same database are not disturbed beyond that."""
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


MAX_ENGINES = 16  # engines a process keeps (two per SQLite database); the least recently used go first
_ENGINES: OrderedDict[tuple[str, int, str], Engine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()


def _shared(key: tuple[str, int, str], make: Callable[[], Engine]) -> Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = make()
            while len(_ENGINES) > MAX_ENGINES:
                # a Database still holding the evicted engine keeps working; it only stops being shared
                _ENGINES.popitem(last=False)[1].dispose()
        else:
            _ENGINES.move_to_end(key)
        return engine


def close_connections(url: str) -> None:
    """Close every idle pooled connection this process holds to `url`, whatever its options; the engines
    (and their statement caches) stay. For a database about to be removed or replaced: a SQLite connection
    kept in a pool would go on reading the removed file."""
    with _ENGINES_LOCK:
        engines = [engine for key, engine in _ENGINES.items() if key[0] == url]
    for engine in engines:
        engine.dispose()


def _sqlite_engine(url: str, busy_timeout_ms: int, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=10, max_overflow=30)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so the "begin" hook below decides how BEGIN is issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
