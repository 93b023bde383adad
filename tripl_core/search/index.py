"""Writing documents into the search index of one branch, in the caller's transaction.

A changed document drops its vector (the embedder recomputes it after commit); rows gone from the plan lose
their documents (`sweep`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.plan.models import Branch, Event, EventType, FieldDefinition, MetaField, Variable
from tripl_core.search import documents
from tripl_core.search.documents import DocType, Document, Wanted
from tripl_core.search.models import SearchDocument

ROW_MODELS: dict[DocType, Any] = {DocType.event_type: EventType, DocType.event: Event, DocType.field: FieldDefinition,
              DocType.meta_field: MetaField, DocType.variable: Variable}


def project_of(session: Session, branch_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Branch.project_id).where(Branch.id == branch_id))


def refresh(session: Session, branch_id: uuid.UUID, wanted: Wanted, *, sweep: bool) -> int:
    """Rebuild the wanted documents of the branch; with `sweep`, drop documents whose row is gone. Returns
    how many documents were written (inserted or changed)."""
    project_id = project_of(session, branch_id)
    if project_id is None:  # the branch itself is gone (its documents went with it)
        return 0
    written = 0
    if not wanted.empty():
        docs = documents.build(session, branch_id, wanted)
        written = _write(session, project_id, branch_id, docs)
        if not wanted.everything:
            _drop_missing(session, branch_id, wanted, {(d.doc_type, d.entity_id) for d in docs})
    if sweep or wanted.everything:
        _sweep(session, branch_id)
    return written


def reindex(session: Session, branch_id: uuid.UUID) -> int:
    """Rebuild every document of the branch; returns how many documents the branch has."""
    refresh(session, branch_id, Wanted(everything=True), sweep=True)
    return count(session, branch_id)


def count(session: Session, branch_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).select_from(SearchDocument)
                              .where(SearchDocument.branch_id == branch_id)) or 0)


def _write(session: Session, project_id: uuid.UUID, branch_id: uuid.UUID, docs: Sequence[Document]) -> int:
    existing: dict[tuple[str, uuid.UUID], tuple[int, str]] = {}
    by_type: dict[DocType, list[uuid.UUID]] = {}
    for d in docs:
        by_type.setdefault(d.doc_type, []).append(d.entity_id)
    for doc_type, ids in by_type.items():
        for chunk in documents.chunks(ids):
            rows = session.execute(select(SearchDocument.entity_id, SearchDocument.id, SearchDocument.content_hash)
                                   .where(SearchDocument.branch_id == branch_id,
                                          SearchDocument.doc_type == doc_type.value,
                                          SearchDocument.entity_id.in_(chunk)))
            for entity_id, row_id, content_hash in rows:
                existing[(doc_type.value, entity_id)] = (row_id, content_hash)
    now = utcnow()
    inserts, updates = [], []
    for d in docs:
        values = {"title": d.title[:500], "names": d.names, "body": d.body, "extra": d.extra,
                  "snippet": d.snippet[:300],
                  "archived": d.archived, "event_type_id": d.event_type_id, "event_id": d.event_id,
                  "content_hash": d.content_hash, "indexed_at": now}
        found = existing.get((d.doc_type.value, d.entity_id))
        if found is None:
            inserts.append({**values, "project_id": project_id, "branch_id": branch_id,
                            "doc_type": d.doc_type.value, "entity_id": d.entity_id})
        elif found[1] != d.content_hash:
            updates.append({**values, "row_id": found[0]})
    if inserts:
        session.execute(insert(SearchDocument), inserts)
    if updates:
        statement = (update(SearchDocument).where(SearchDocument.id == bindparam("row_id"))
                     .values(**{key: bindparam(key) for key in updates[0] if key != "row_id"},
                             embedding=None, embedded_hash=None, embedding_model=None, embedded_at=None))
        session.connection().execute(statement, updates)
    return len(inserts) + len(updates)


def _drop_missing(session: Session, branch_id: uuid.UUID, wanted: Wanted,
                  built: set[tuple[DocType, uuid.UUID]]) -> None:
    for doc_type in DocType:
        gone = [i for i in wanted.ids(doc_type) if (doc_type, i) not in built]
        for chunk in documents.chunks(gone):
            session.execute(delete(SearchDocument).where(SearchDocument.branch_id == branch_id,
                                                         SearchDocument.doc_type == doc_type.value,
                                                         SearchDocument.entity_id.in_(chunk)))


def _sweep(session: Session, branch_id: uuid.UUID) -> None:
    """Drop the documents of rows deleted without the ORM seeing them (bulk deletes, cascades)."""
    for doc_type, model in ROW_MODELS.items():
        alive = select(model.id).where(and_(model.branch_id == branch_id))
        session.execute(delete(SearchDocument).where(SearchDocument.branch_id == branch_id,
                                                     SearchDocument.doc_type == doc_type.value,
                                                     SearchDocument.entity_id.not_in(alive)))
