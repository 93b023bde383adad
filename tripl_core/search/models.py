"""The search index: one document per plan row (event type, event, field, meta field, variable) of a branch.

The lexical index sits beside it: an FTS5 table kept in sync by triggers on SQLite, a GIN expression index on
PostgreSQL (both created by migration 0011). `embedding` holds the document's vector (float32 bytes) once the
embedder has run; `embedded_hash` says which content it was computed from, so stale vectors are recomputed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, utcnow


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("branch_id", "doc_type", "entity_id"),
                      Index("ix_search_documents_event_type", "branch_id", "event_type_id"),
                      # The freshness stamp of a branch (count, latest text change, latest vector) read from
                      # indexes alone, on every search.
                      Index("ix_search_documents_indexed", "branch_id", "indexed_at"),
                      Index("ix_search_documents_embedded", "branch_id", "embedded_at"))

    # An integer key: SQLite's FTS5 table refers to its content rows by integer rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[uuid.UUID]
    event_type_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    event_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    title: Mapped[str] = mapped_column(String(500))
    names: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str] = mapped_column(Text, default="")  # values a row uses (weighs least)
    snippet: Mapped[str] = mapped_column(String(300), default="")
    archived: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    embedding_model: Mapped[str | None] = mapped_column(String(200), default=None)
    embedded_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    embedded_at: Mapped[datetime | None] = mapped_column(default=None)
