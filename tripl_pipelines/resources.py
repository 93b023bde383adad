"""Dagster resources: the app database and the secret box, configured from the same TRIPL_* settings as
the API (a field set here overrides its setting; tests and the in-process launcher set them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from pydantic import PrivateAttr
from sqlalchemy.orm import Session

from tripl_core.ai import search_composition
from tripl_core.db.engine import Database
from tripl_core.search.engine import SearchEngine
from tripl_core.security import SecretBox
from tripl_core.service_settings.store import SettingsStore
from tripl_core.settings import Settings


class AppDatabase(ConfigurableResource):
    """The app database. `database_url` overrides TRIPL_DATABASE_URL (tests point it at their own)."""

    database_url: str | None = None

    _db: Database | None = PrivateAttr(default=None)
    _search: SearchEngine | None = PrivateAttr(default=None)
    _store: SettingsStore | None = PrivateAttr(default=None)

    @property
    def database(self) -> Database:
        if self._db is None:
            settings = Settings()
            url = self.database_url or settings.resolved_database_url
            db = Database(url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
            # Plan writes of pipelines (catalog scans, event groups) keep the search index current too.
            self._store, self._search = search_composition.compose(
                db, settings, lambda: SecretBox(settings.resolved_secret_key), embed_after_commit=False)
            self._db = db
        return self._db

    @property
    def settings_store(self) -> SettingsStore:
        """The service settings (defaults < environment < saved overrides) as this database holds them."""
        _ = self.database
        assert self._store is not None
        return self._store

    @property
    def search(self) -> SearchEngine:
        """The search engine composed with `database` (reindex and embeddings of the search_index asset)."""
        _ = self.database
        assert self._search is not None
        return self._search

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Pipelines commit through here: one transaction per unit, rolled back on error."""
        with self.database.unit_of_work() as session:
            yield session


class AppSecrets(ConfigurableResource):
    """Decrypts data-source secrets. `secret_key` overrides TRIPL_SECRET_KEY (or the state dir's key)."""

    secret_key: str | None = None

    @property
    def box(self) -> SecretBox:
        return SecretBox(self.secret_key or Settings().resolved_secret_key)
