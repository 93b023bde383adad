"""Reading events: the filtered list, lookup by name, the project's tags, per-event history."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, NotFound
from tripl_core.pagination import PageRequest, paginate
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.event_schemas import EventFilters
from tripl_core.plan.models import Event, EventFieldValue, EventMetaValue, EventStatus, EventTag, EventType


def filtered(scope: PlanScope, filters: EventFilters) -> Select[Event]:
    """Events of the branch matching every given filter, in plan order (type order, then event order).
    Archived events are hidden unless `status` asks for them."""
    conditions: list[ColumnElement[bool]] = [Event.branch_id == scope.branch_id]
    if filters.event_type_id is not None:
        conditions.append(Event.event_type_id == filters.event_type_id)
    if filters.search:
        conditions.append(or_(Event.name.icontains(filters.search, autoescape=True),
                              Event.description.icontains(filters.search, autoescape=True)))
    if filters.status:
        conditions.append(Event.status.in_([s.value for s in filters.status]))
    else:
        conditions.append(Event.status != EventStatus.archived.value)
    if filters.tag:
        conditions.append(exists().where(EventTag.event_id == Event.id, EventTag.tag == filters.tag.strip().lower()))
    if filters.silent_since_days is not None:
        cutoff = utcnow() - timedelta(days=filters.silent_since_days)
        conditions.append(or_(Event.last_seen_at.is_(None), Event.last_seen_at < cutoff))
    if filters.field_value:
        conditions.append(exists().where(EventFieldValue.event_id == Event.id,
                                         EventFieldValue.value.icontains(filters.field_value, autoescape=True)))
    if filters.meta_value:
        conditions.append(exists().where(EventMetaValue.event_id == Event.id,
                                         EventMetaValue.value.icontains(filters.meta_value, autoescape=True)))
    return (select(Event).join(EventType, EventType.id == Event.event_type_id).where(and_(*conditions))
            .order_by(EventType.order, EventType.name, Event.order, Event.name, Event.id))


def list_events(session: Session, scope: PlanScope, filters: EventFilters,
                page: PageRequest) -> tuple[list[Event], int]:
    return paginate(session, filtered(scope, filters), page)


def by_name(session: Session, scope: PlanScope, name: str, event_type_id: uuid.UUID | None = None) -> Event:
    """The event with exactly this name, in any type (or in `event_type_id`)."""
    query = (select(Event, EventType.name).join(EventType, EventType.id == Event.event_type_id)
             .where(Event.branch_id == scope.branch_id, Event.name == name))
    if event_type_id is not None:
        query = query.where(Event.event_type_id == event_type_id)
    rows = session.execute(query.order_by(EventType.order, EventType.name)).all()
    if not rows:
        raise NotFound(f"No event named '{name}' in project '{scope.project.slug}'")
    if len(rows) > 1:
        types = ", ".join(f"'{type_name}' ({event.event_type_id})" for event, type_name in rows)
        raise Conflict(f"Several event types have an event named '{name}': {types}; "
                       "add event_type_id to choose one")
    event: Event = rows[0][0]
    return event


def list_tags(session: Session, scope: PlanScope) -> list[str]:
    return list(session.scalars(select(EventTag.tag).where(EventTag.branch_id == scope.branch_id).distinct()
                                .order_by(EventTag.tag)))
