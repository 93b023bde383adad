"""Search request and response shapes (the reference's Search Project and Reindex Project Search)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from tripl_core.search.engine import Results


class SearchItem(BaseModel):
    type: str
    id: uuid.UUID
    title: str
    snippet: str
    score: float
    event_type_id: uuid.UUID | None
    event_id: uuid.UUID | None


class SearchOut(BaseModel):
    items: list[SearchItem]
    total: int
    semantic_used: bool

    @classmethod
    def of(cls, results: Results) -> SearchOut:
        return cls(items=[SearchItem.model_validate(hit, from_attributes=True) for hit in results.items],
                   total=results.total, semantic_used=results.semantic_used)


class ReindexOut(BaseModel):
    documents_indexed: int
    embeddings_scheduled: bool
