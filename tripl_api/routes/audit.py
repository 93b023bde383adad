from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from tripl_api.deps import DbSession, Offset, OwnerReader
from tripl_api.routing import api_router
from tripl_core.access import audit
from tripl_core.access.schemas import AuditEntryOut
from tripl_core.pagination import Page, PageRequest

router = api_router("audit", "/audit")


@router.get("", response_model=Page[AuditEntryOut])
def list_audit(
    principal: OwnerReader,
    session: DbSession,
    project_slug: str | None = None,
    action: Annotated[str | None, Query(description="Exact action, or a prefix ending in '.'")] = None,
    user_id: uuid.UUID | None = None,
    user_email: str | None = None,
    since: Annotated[datetime | None, Query(description="Inclusive lower bound (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive upper bound (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[AuditEntryOut]:
    """Mutating requests, newest first (owner only)."""
    flt = audit.AuditFilter(project_slug=project_slug, action=action, user_id=user_id, user_email=user_email,
                            since=_utc(since), until=_utc(until), project_id=principal.bound_project_id)
    items, total = audit.list_entries(session, flt, PageRequest(offset, limit))
    return Page[AuditEntryOut](items=[AuditEntryOut.model_validate(e) for e in items], total=total)


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # a timestamp without offset is read as UTC, like everything here
