"""Embeddings from an OpenAI-compatible `/embeddings` endpoint, when the AI settings choose the `openai`
provider instead of the built-in model."""

from __future__ import annotations

from tripl_core.ai import provider
from tripl_core.ai.provider import Endpoint, ProviderError
from tripl_core.search.embedders import Vectors, normalise

BATCH = 128


class ProviderEmbedder:
    def __init__(self, endpoint: Endpoint, model: str) -> None:
        self.endpoint = endpoint
        self.model = f"openai:{model}"
        self._name = model

    def embed(self, texts: list[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = texts[start:start + BATCH]
            answer = provider.post_json(self.endpoint, "/embeddings", {"model": self._name, "input": batch})
            data = answer.get("data")
            if not isinstance(data, list) or len(data) != len(batch):
                raise ProviderError("the embedding endpoint's answer has no data list of the input's length")
            ordered = sorted(data, key=lambda item: item.get("index", 0) if isinstance(item, dict) else 0)
            for item in ordered:
                vector = item.get("embedding") if isinstance(item, dict) else None
                if not isinstance(vector, list) or not vector:
                    raise ProviderError("the embedding endpoint answered an item without an embedding")
                rows.append([float(x) for x in vector])
        return normalise(rows)  # type: ignore[arg-type]
