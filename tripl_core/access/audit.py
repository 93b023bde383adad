"""The audit log: one entry per mutating request, written in that request's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tripl_core.access.models import ApiKey, AuditEntry
from tripl_core.access.principal import Principal
from tripl_core.pagination import PageRequest, paginate
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
    project_id: uuid.UUID | None = None  # set for keys bound to one project


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


def list_entries(session: Session, flt: AuditFilter, page: PageRequest) -> tuple[list[AuditEntry], int]:
    return paginate(session, _filtered(flt), page)


def _filtered(flt: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id)
    if flt.project_slug is not None:
        query = query.where(AuditEntry.project_slug == flt.project_slug)
    if flt.project_id is not None:
        query = query.where(AuditEntry.project_id == flt.project_id)
    if flt.action is not None:
        # A prefix ending in '.' selects a family of actions ("projects." → every project operation).
        query = query.where(AuditEntry.action.startswith(flt.action) if flt.action.endswith(".")
                            else AuditEntry.action == flt.action)
    if flt.user_id is not None:
        query = query.where(AuditEntry.user_id == flt.user_id)
    if flt.user_email is not None:
        query = query.where(AuditEntry.user_email == flt.user_email.strip().lower())
    if flt.since is not None:
        query = query.where(AuditEntry.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditEntry.created_at < flt.until)
    return query
