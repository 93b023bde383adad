"""When the search index needs rebuilding: a fingerprint of the plan (row counts and latest changes of
every indexed table) and of the documents still waiting for a vector."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.plan.branch_scope import READ_ONLY_STATUSES
from tripl_core.plan.models import (
    Branch,
    Event,
    EventFieldValue,
    EventMetaValue,
    EventTag,
    EventType,
    FieldDefinition,
    MetaField,
    Variable,
)
from tripl_core.search.models import SearchDocument


def open_branches(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Branch.id).where(Branch.status.not_in(READ_ONLY_STATUSES))
                                .order_by(Branch.created_at)))


def plan_stamp(session: Session) -> str:
    parts: list[str] = []
    for model in (EventType, Event, FieldDefinition, MetaField, Variable):
        count, latest = session.execute(select(func.count(), func.max(model.updated_at))).one()
        parts.append(f"{model.__tablename__}:{count}:{latest}")
    for table in (EventTag, EventFieldValue, EventMetaValue):
        parts.append(f"{table.__tablename__}:{session.scalar(select(func.count()).select_from(table))}")
    waiting = session.scalar(select(func.count()).select_from(SearchDocument).where(
        SearchDocument.embedded_hash.is_(None) | (SearchDocument.embedded_hash != SearchDocument.content_hash)))
    parts.append(f"unembedded:{waiting}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
