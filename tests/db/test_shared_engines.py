"""One engine per database and connection options in a process (tripl_core/db/engine.py): `Database` objects
on the same database share pools and compiled statements; disposing one leaves the others working;
`close_connections` makes a replaced SQLite file the one read next; the cache stays bounded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from tripl_core.db import engine as engines
from tripl_core.db.engine import Database, close_connections


def _url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def _database_holding(path: Path, value: int) -> None:
    db = Database(_url(path))
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    db.dispose()


def _read(db: Database) -> int:
    with db.read_engine.connect() as conn:
        return int(conn.execute(text("SELECT v FROM t")).scalar_one())


def test_databases_on_one_url_share_their_engines_and_compiled_statements(tmp_path: Path) -> None:
    url = _url(tmp_path / "a.db")
    first, second = Database(url), Database(url)
    assert first.engine is second.engine
    assert first.read_engine is second.read_engine
    assert first.engine is not first.read_engine  # SQLite: writers open BEGIN IMMEDIATE, readers do not
    assert Database(url, sqlite_busy_timeout_ms=1234).engine is not first.engine  # other connection options

    statement = text("SELECT 1")
    with first.engine.connect() as conn:
        conn.execute(statement)
    with second.engine.connect() as conn:
        cached = conn.execute(statement).context.cache_hit
    assert cached == conn.dialect.CACHE_HIT
    first.dispose()


def test_disposing_one_database_leaves_the_others_on_the_same_url_working(tmp_path: Path) -> None:
    _database_holding(tmp_path / "a.db", 7)
    first, second = Database(_url(tmp_path / "a.db")), Database(_url(tmp_path / "a.db"))
    assert _read(first) == 7
    with second.read_engine.connect() as held:  # checked out while the other disposes
        first.dispose()
        assert int(held.execute(text("SELECT v FROM t")).scalar_one()) == 7
    assert _read(second) == 7
    second.dispose()


def test_close_connections_makes_a_replaced_file_the_one_read(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _database_holding(path, 1)
    _database_holding(tmp_path / "b.db", 2)
    db = Database(_url(path))
    assert _read(db) == 1  # leaves a pooled connection open on the first file

    path.unlink()
    shutil.copy(tmp_path / "b.db", path)
    close_connections(_url(path))
    assert _read(Database(_url(path))) == 2
    db.dispose()


def test_the_engine_cache_is_bounded_and_an_evicted_engine_still_works(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "MAX_ENGINES", 4)
    _database_holding(tmp_path / "oldest.db", 5)
    oldest = Database(_url(tmp_path / "oldest.db"))
    for index in range(4):
        Database(_url(tmp_path / f"other-{index}.db"))
    assert len(engines._ENGINES) <= 4
    assert Database(_url(tmp_path / "oldest.db")).engine is not oldest.engine  # evicted: no longer shared
    assert _read(oldest) == 5
    oldest.dispose()
