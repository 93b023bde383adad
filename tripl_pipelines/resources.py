"""Dagster resources: the app database, configured from the same TRIPL_* settings as the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from pydantic import PrivateAttr
from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.settings import Settings


class AppDatabase(ConfigurableResource):  # type: ignore[misc]
    """The app database. `database_url` overrides TRIPL_DATABASE_URL (tests point it at their own)."""

    database_url: str | None = None

    _db: Database | None = PrivateAttr(default=None)

    def _database(self) -> Database:
        if self._db is None:
            settings = Settings()
            url = self.database_url or settings.resolved_database_url
            self._db = Database(url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        return self._db

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Pipelines commit through here: one transaction per unit, rolled back on error."""
        with self._database().unit_of_work() as session:
            yield session
