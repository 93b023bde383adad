"""The app database of the jobs tests (SQLite and PostgreSQL, like every database test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tripl_core.db.engine import Database


@pytest.fixture
def app_db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()
