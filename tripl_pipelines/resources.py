"""Dagster resources, configured from the same TRIPL_* environment as the API and set up once per run (or
sensor tick) and torn down after it: one engine and connection pool per run, disposed when it ends.

`from_environment()` binds each field to its `EnvVar` when the variable is set (the UI shows the variable's
name, never a secret) and otherwise to the value the settings would default to (the UI shows it); tests
and the in-process launcher pass literal values instead."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr
from sqlalchemy.orm import Session

from tripl_core.ai import search_composition
from tripl_core.alerting import channel_settings
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.sending import ChannelPolicy
from tripl_core.db.engine import Database
from tripl_core.photos.config import StorageConfig, storage_config
from tripl_core.search.engine import SearchEngine
from tripl_core.security import SecretBox
from tripl_core.service_settings.schema import StorageSettings
from tripl_core.service_settings.store import SettingsStore
from tripl_core.settings import Settings

DATABASE_URL_ENV = "TRIPL_DATABASE_URL"
STATE_DIR_ENV = "TRIPL_STATE_DIR"
SECRET_KEY_ENV = "TRIPL_SECRET_KEY"
PRIVATE_WEBHOOKS_ENV = "TRIPL_ALLOW_PRIVATE_WEBHOOKS"


def _settings(state_dir: str | None, database_url: str | None = None, secret_key: str | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if state_dir:
        overrides["state_dir"] = state_dir
    if database_url:
        overrides["database_url"] = database_url
    if secret_key:
        overrides["secret_key"] = secret_key
    return Settings(**overrides)  # type: ignore[arg-type]


class AppDatabase(ConfigurableResource):
    """The app database: an engine (and the settings store and search engine composed with it) made when
    a run or tick starts and disposed when it ends. Pipelines commit through `unit_of_work`."""

    database_url: str | None = Field(default=None, description=f"The app database ({DATABASE_URL_ENV}); unset: "
                                                               "SQLite in the state directory")
    state_dir: str | None = Field(default=None, description=f"The state directory ({STATE_DIR_ENV})")

    _db: Database | None = PrivateAttr(default=None)
    _search: SearchEngine | None = PrivateAttr(default=None)
    _store: SettingsStore | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        settings = _settings(self.state_dir, self.database_url)
        db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        # Plan writes of pipelines (catalog scans, event groups) keep the search index current too.
        self._store, self._search = search_composition.compose(
            db, settings, lambda: SecretBox(settings.resolved_secret_key), embed_after_commit=False)
        self._db = db

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._db is not None:
            self._db.dispose()
        self._db = self._store = self._search = None

    @property
    def database(self) -> Database:
        if self._db is None:
            raise RuntimeError("AppDatabase is used outside a run or sensor tick (it was not set up)")
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
        """One transaction per unit, rolled back on error."""
        with self.database.unit_of_work() as session:
            yield session


class AppSecrets(ConfigurableResource):
    """Decrypts data-source secrets with TRIPL_SECRET_KEY, else the state directory's generated key."""

    secret_key: str | None = Field(default=None, description=f"The encryption key ({SECRET_KEY_ENV})")
    state_dir: str | None = Field(default=None, description=f"Holds the generated key when {SECRET_KEY_ENV} "
                                                            "is unset")

    _box: SecretBox | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._box = SecretBox(_settings(self.state_dir, secret_key=self.secret_key).resolved_secret_key)

    @property
    def box(self) -> SecretBox:
        if self._box is None:
            raise RuntimeError("AppSecrets is used outside a run or sensor tick (it was not set up)")
        return self._box


class AlertOutbound(ConfigurableResource):
    """The outbound policy of alert channels; `allow_private_webhooks` overrides TRIPL_ALLOW_PRIVATE_WEBHOOKS
    (tests pointing at 127.0.0.1 receivers set it)."""

    allow_private_webhooks: bool | None = Field(default=None, description="Lets webhooks reach private "
                                                                          f"addresses ({PRIVATE_WEBHOOKS_ENV})")

    def sender(self, secrets: AppSecrets, app_db: AppDatabase) -> Sender:
        # SMTP comes from the service settings as saved now (no restart of Dagster needed).
        policy = channel_settings.channel_policy(ChannelPolicy.from_settings(Settings()),
                                                 app_db.settings_store.current())
        if self.allow_private_webhooks is not None:
            policy = replace(policy, outbound=replace(policy.outbound, allow_private=self.allow_private_webhooks))
        return Sender(box=secrets.box, policy=policy)


class PhotoStorage(ConfigurableResource):
    """The storage section of the settings; `state_dir` is where local photo files live by default."""

    state_dir: str | None = Field(default=None, description=f"The state directory ({STATE_DIR_ENV})")

    def config(self, section: StorageSettings | None = None) -> StorageConfig:
        return storage_config(_settings(self.state_dir), section)


def _env_or(name: str, default: str | None = None) -> str | None:
    """The variable as an `EnvVar` (read when a run starts; the UI names it) when it is set, else `default`."""
    return EnvVar(name) if name in os.environ else default


def from_environment() -> dict[str, ConfigurableResource]:
    """The resources of `tripl up`'s code location, bound to the TRIPL_* environment."""
    state_dir = _env_or(STATE_DIR_ENV, str(Settings().state_dir))
    return {"app_db": AppDatabase(database_url=_env_or(DATABASE_URL_ENV), state_dir=state_dir),
            "app_secrets": AppSecrets(secret_key=_env_or(SECRET_KEY_ENV), state_dir=state_dir),
            "alert_outbound": AlertOutbound(),
            "photo_storage": PhotoStorage(state_dir=state_dir)}
