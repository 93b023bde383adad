"""Event types: folders of events with a shared field list."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict
from tripl_core.plan import fields
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.changes import update_recorded
from tripl_core.plan.models import Event, EventType, FieldDefinition, Relation
from tripl_core.plan.type_schemas import EventTypeCreate, EventTypeOut, EventTypeUpdate, FieldOut
from tripl_core.scan_configs.models import ScanConfig


def list_types(session: Session, scope: PlanScope) -> list[EventType]:
    return list(session.scalars(select(EventType).where(EventType.branch_id == scope.branch_id)
                                .order_by(EventType.order, EventType.name)))


def get(session: Session, scope: PlanScope, event_type_id: uuid.UUID) -> EventType:
    return get_row(session, scope, EventType, event_type_id, "Event type")


def describe(session: Session, items: Sequence[EventType]) -> list[EventTypeOut]:
    """Event type responses with their field definitions, loaded for the whole batch in one query."""
    by_type: dict[uuid.UUID, list[FieldOut]] = defaultdict(list)
    if items:
        rows = session.scalars(select(FieldDefinition)
                               .where(FieldDefinition.event_type_id.in_([t.id for t in items]))
                               .order_by(FieldDefinition.order, FieldDefinition.name))
        for field in rows:
            by_type[field.event_type_id].append(FieldOut.model_validate(field))
    return [EventTypeOut.model_validate(t).model_copy(update={"field_definitions": by_type[t.id]})
            for t in items]


def create(session: Session, principal: Principal, scope: PlanScope, data: EventTypeCreate) -> EventType:
    _ensure_name_free(session, scope, data.name)
    order = data.order if "order" in data.model_fields_set else _next_order(session, scope)
    event_type = EventType(project_id=scope.project_id, branch_id=scope.branch_id, name=data.name,
                           display_name=data.display_name or default_display_name(data.name),
                           description=data.description, color=data.color, order=order)
    session.add(event_type)
    session.flush()
    if data.field_definitions:
        fields.add_fields(session, scope, event_type, data.field_definitions)
    activity.record(session, scope.project, actor=principal, kind="event_type.created", entity_type="event_type",
                    entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Created event type {event_type.name}"
                    + (f" with {len(data.field_definitions)} fields" if data.field_definitions else ""))
    return event_type


def update(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
           data: EventTypeUpdate) -> EventType:
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    update_recorded(session, principal, scope.project, event_type, changes, entity_type="event_type",
                    entity_name=str(changes.get("name", event_type.name)),
                    what=f"event type {changes.get('name', event_type.name)}")
    return event_type


def delete_type(session: Session, principal: Principal, scope: PlanScope, event_type: EventType) -> None:
    """Deletes the type with its fields, events (and their values and history) and relations; refused
    (409) while a scan config reads all its rows as this type."""
    bound = session.scalars(select(ScanConfig.name).where(ScanConfig.event_type_id == event_type.id)).all()
    if bound:
        raise Conflict(f"Event type '{event_type.name}' is the event type of scan config(s) "
                       f"{', '.join(repr(name) for name in bound)}; change or delete them first")
    event_count = session.scalar(select(func.count(Event.id)).where(Event.event_type_id == event_type.id))
    session.execute(delete(Relation).where((Relation.source_event_type_id == event_type.id)
                                           | (Relation.target_event_type_id == event_type.id)))
    activity.record(session, scope.project, actor=principal, kind="event_type.deleted", entity_type="event_type",
                    entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Deleted event type {event_type.name} and its {event_count or 0} events")
    session.delete(event_type)
    session.flush()


def default_display_name(name: str) -> str:
    """`checkout_step` → "Checkout Step"."""
    return " ".join(part.capitalize() for part in name.replace("_", " ").replace("-", " ").split()) or name


def _next_order(session: Session, scope: PlanScope) -> int:
    current = session.scalar(select(func.max(EventType.order)).where(EventType.branch_id == scope.branch_id))
    return 0 if current is None else current + 1


def _ensure_name_free(session: Session, scope: PlanScope, name: str) -> None:
    holder = session.scalar(select(EventType.id).where(EventType.branch_id == scope.branch_id,
                                                       EventType.name == name))
    if holder is not None:
        raise Conflict(f"An event type named '{name}' already exists (id {holder})")
