"""The activity feed: what happened in projects, in words a person reads."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.models import ActivityEntry
from tripl_core.access.principal import Principal


class ProjectNames(Protocol):
    """What an entry copies from its project (the plan's `Project`, a layer above, fits it): the feed keeps
    the names, so it still reads after the project is renamed or deleted."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def slug(self) -> str: ...

    @property
    def name(self) -> str: ...


def record(session: Session, project: ProjectNames, *, actor: Principal | None, kind: str, summary: str,
           entity_type: str | None = None, entity_id: uuid.UUID | str | None = None,
           entity_name: str | None = None, actor_name: str | None = None,
           details: dict[str, Any] | None = None) -> ActivityEntry:
    """`actor_name` names a non-user actor (a scan, a sensor) when there is no principal."""
    entry = ActivityEntry(
        project_id=project.id, project_slug=project.slug, project_name=project.name,
        actor_id=actor.user.id if actor else None,
        actor_name=actor.display_name if actor else actor_name,
        kind=kind, entity_type=entity_type, entity_id=str(entity_id) if entity_id is not None else None,
        entity_name=entity_name, summary=summary, details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(session: Session, *, limit: int, project_id: uuid.UUID | None = None) -> list[ActivityEntry]:
    query = select(ActivityEntry).order_by(ActivityEntry.created_at.desc(), ActivityEntry.id).limit(limit)
    if project_id is not None:
        query = query.where(ActivityEntry.project_id == project_id)
    return list(session.scalars(query))
