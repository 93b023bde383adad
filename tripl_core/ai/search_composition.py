"""Composing search for one database: the settings store it reads its embedder choice from, the engine,
and the freshness hooks on the database's write sessions. The API and the pipelines each call this once
for the database they write through."""

from __future__ import annotations

from collections.abc import Callable

from tripl_core.ai import embedder_choice
from tripl_core.db.engine import Database
from tripl_core.search import freshness
from tripl_core.search.engine import SearchEngine
from tripl_core.security import SecretBox
from tripl_core.service_settings.store import SettingsStore
from tripl_core.settings import Settings


def compose(db: Database, settings: Settings, box: SecretBox | Callable[[], SecretBox], *,
            embed_after_commit: bool = True) -> tuple[SettingsStore, SearchEngine]:
    """`embed_after_commit=False` (Dagster runs: short-lived processes) leaves vectors to the search_index
    asset instead of a background thread that could die with the run."""
    store = SettingsStore(settings, box, lambda: db.session(write=False))
    engine = SearchEngine(db, embedder_choice.chooser(store))
    freshness.attach(db, engine, embed_after_commit=embed_after_commit)
    return store, engine
