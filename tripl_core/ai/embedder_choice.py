"""Which embedder the AI settings select now: the built-in model, an OpenAI-compatible endpoint, or none."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tripl_core.ai.config import endpoint
from tripl_core.ai.embedder import ProviderEmbedder
from tripl_core.search.embedders import BuiltinEmbedder, Embedder
from tripl_core.search.engine import ChooseEmbedder
from tripl_core.service_settings.schema import EmbeddingProvider
from tripl_core.service_settings.store import SettingsStore


def chooser(store: SettingsStore, builtin: BuiltinEmbedder | None = None) -> ChooseEmbedder:
    shared = builtin or BuiltinEmbedder()

    def choose(_session: Session) -> Embedder | None:
        ai = store.current().ai  # read at most once a second: this runs on every search
        if not ai.search_embeddings_enabled:
            return None
        if ai.search_embedding_provider == EmbeddingProvider.openai:
            if not ai.ai_base_url or not ai.search_embedding_model:
                return None  # an unfinished provider setup leaves search lexical, not broken
            return ProviderEmbedder(endpoint(ai, ai.search_embedding_api_key or ai.ai_api_key),
                                    ai.search_embedding_model)
        return shared

    return choose
