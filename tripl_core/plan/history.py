"""Per-event history: every change, field by field (before → after), who or which scan, when."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.plan.models import Event, EventHistoryEntry

Changes = list[dict[str, Any]]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """`[{field, before, after}]` for the keys whose value differs, in the order of `after`."""
    return [{"field": key, "before": before.get(key), "after": value}
            for key, value in after.items() if before.get(key) != value]


def entry(event: Event, action: str, changes: Changes, *, actor: Principal | None,
          actor_name: str | None = None) -> EventHistoryEntry:
    """A history row for `event` (not yet added). `actor_name` names a scan when there is no principal."""
    return EventHistoryEntry(branch_id=event.branch_id, event_id=event.id, action=action,
                             changes=jsonable(changes), actor_id=actor.user.id if actor else None,
                             actor_name=actor.display_name if actor else actor_name, created_at=utcnow())


def list_for(session: Session, event_id: uuid.UUID) -> list[EventHistoryEntry]:
    return list(session.scalars(select(EventHistoryEntry).where(EventHistoryEntry.event_id == event_id)
                                .order_by(EventHistoryEntry.created_at.desc())))


def jsonable(changes: Changes) -> Changes:
    return [{key: _plain(value) for key, value in change.items()} for change in changes]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
