"""The audit log: one entry per mutating request, written in that request's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from tripl_core import cursor
from tripl_core.access.models import ApiKey, AuditEntry
from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.errors import InvalidInput
from tripl_core.pagination import PageRequest
from tripl_core.secret_fields import is_secret_key

MAX_DETAIL_CHARS = 500


@dataclass(frozen=True)
class AuditFilter:
    project_slug: str | None = None
    action: str | None = None
    user_id: uuid.UUID | None = None
    user_email: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    target_type: str | None = None
    target_id: str | None = None
    project_id: uuid.UUID | None = None  # set for keys bound to one project


EXPORT_BATCH = 1000
PRUNE_BATCH = 5000


def record(session: Session, *, principal: Principal | None, action: str, method: str, path: str,
           status_code: int, project_id: uuid.UUID | None, project_slug: str | None,
           target_type: str | None, target_id: str | None, ip_address: str | None,
           details: dict[str, Any]) -> AuditEntry:
    key_id = principal.api_key.id if principal and principal.api_key else None
    if key_id is not None and session.scalar(select(ApiKey.id).where(ApiKey.id == key_id)) is None:
        # The request deleted its own key (a bound key deleting its project): keep the id as text.
        details = {**details, "api_key_id": str(key_id)}
        key_id = None
    entry = AuditEntry(
        user_id=principal.user.id if principal else None,
        user_email=principal.user.email if principal else None,
        api_key_id=key_id,
        action=action, method=method, path=path[:1000], status_code=status_code,
        project_id=project_id, project_slug=project_slug, target_type=target_type,
        target_id=target_id, ip_address=ip_address, details=redact(details),
    )
    session.add(entry)
    session.flush()
    return entry


def redact(value: Any) -> Any:
    """Never keep secrets in the log; keep long values short."""
    if isinstance(value, dict):
        return {key: "***" if is_secret_key(key) else redact(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value[:100]]
    if isinstance(value, str) and len(value) > MAX_DETAIL_CHARS:
        return value[:MAX_DETAIL_CHARS] + "…"
    return value


def list_entries(session: Session, flt: AuditFilter, page: PageRequest,
                 page_cursor: str | None = None) -> tuple[list[AuditEntry], int, str | None]:
    """One page newest first, the filtered total, and the cursor of the next page. A page is addressed by
    `offset` or by a `cursor` from a previous page (which holds its place while new entries arrive)."""
    if page_cursor is not None and page.offset:
        raise InvalidInput("Give offset or cursor, not both", details=[{"field": "cursor"}])
    query = _filtered(flt)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    if page_cursor is not None:
        rows, next_cursor = cursor.newest_first(session, query, AuditEntry.created_at, AuditEntry.id, page_cursor,
                                                page.limit)
        return rows, total, next_cursor
    rows = list(session.scalars(query.order_by(*_NEWEST_FIRST).offset(page.offset).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return rows, total, None
    last = rows[page.limit - 1]
    return rows[:page.limit], total, cursor.encode(last.created_at, last.id)


def export_entries(db: Database, flt: AuditFilter) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, read in batches with short transactions of their own (an
    export streams after its request's session is closed and may outlast many requests)."""
    page_cursor: str | None = None
    while True:
        with db.unit_of_work() as session:
            rows, page_cursor = cursor.newest_first(session, _filtered(flt), AuditEntry.created_at, AuditEntry.id,
                                                    page_cursor, EXPORT_BATCH)
            session.expunge_all()
        yield from rows
        if page_cursor is None:
            return


def prune(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Delete entries older than the retention, in batches (each its own transaction, so a large log
    never holds one long lock); the number deleted."""
    before = (now or utcnow()) - timedelta(days=retention_days)
    deleted = 0
    while True:
        with db.unit_of_work() as session:
            ids = list(session.scalars(select(AuditEntry.id).where(AuditEntry.created_at < before)
                                       .limit(PRUNE_BATCH)))
            if ids:
                session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < PRUNE_BATCH:
            return deleted


_NEWEST_FIRST = (AuditEntry.created_at.desc(), AuditEntry.id.desc())


def _filtered(flt: AuditFilter) -> Select[AuditEntry]:
    return select(AuditEntry).where(*_conditions(flt))


def _conditions(flt: AuditFilter) -> list[Any]:
    found: list[Any] = []
    if flt.project_slug is not None:
        found.append(AuditEntry.project_slug == flt.project_slug)
    if flt.project_id is not None:
        found.append(AuditEntry.project_id == flt.project_id)
    if flt.action is not None:
        # A prefix ending in '.' selects a family of actions ("projects." → every project operation).
        found.append(AuditEntry.action.startswith(flt.action) if flt.action.endswith(".")
                     else AuditEntry.action == flt.action)
    if flt.user_id is not None:
        found.append(AuditEntry.user_id == flt.user_id)
    if flt.user_email is not None:
        found.append(AuditEntry.user_email == flt.user_email.strip().lower())
    if flt.since is not None:
        found.append(AuditEntry.created_at >= flt.since)
    if flt.until is not None:
        found.append(AuditEntry.created_at < flt.until)
    if flt.target_type is not None:
        found.append(AuditEntry.target_type == flt.target_type)
    if flt.target_id is not None:
        found.append(AuditEntry.target_id == flt.target_id)
    return found
