"""Field definitions of an event type, with their enum options and data contracts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.changes import update_recorded
from tripl_core.plan.field_rules import FieldState, check_field
from tripl_core.plan.models import EventType, FieldDefinition, Relation
from tripl_core.plan.type_schemas import FieldCreate, FieldUpdate

CONTRACT_ATTRIBUTES = ("contract_required_max_null_rate", "contract_regex", "contract_min_value",
                       "contract_max_value", "contract_max_bad_rate")
NULLABLE_ATTRIBUTES = frozenset({"enum_options", "contract_required_max_null_rate", "contract_regex",
                                 "contract_min_value", "contract_max_value"})


def list_fields(session: Session, event_type: EventType) -> list[FieldDefinition]:
    return list(session.scalars(select(FieldDefinition).where(FieldDefinition.event_type_id == event_type.id)
                                .order_by(FieldDefinition.order, FieldDefinition.name)))


def get(session: Session, event_type: EventType, field_id: uuid.UUID) -> FieldDefinition:
    field = session.get(FieldDefinition, field_id)
    if field is None or field.event_type_id != event_type.id:
        raise NotFound(f"Field {field_id} not found in event type '{event_type.name}'")
    return field


def _state(field: FieldDefinition | FieldCreate) -> FieldState:
    return FieldState(field_type=str(field.field_type), enum_options=field.enum_options,
                      contract_required_max_null_rate=field.contract_required_max_null_rate,
                      contract_regex=field.contract_regex, contract_min_value=field.contract_min_value,
                      contract_max_value=field.contract_max_value,
                      contract_max_bad_rate=field.contract_max_bad_rate or 0.0)


def add_fields(session: Session, scope: PlanScope, event_type: EventType,
               items: Sequence[FieldCreate]) -> list[FieldDefinition]:
    """Validates every field first (naming the failing one), then adds them all."""
    existing = {name: fid for fid, name in session.execute(
        select(FieldDefinition.id, FieldDefinition.name).where(FieldDefinition.event_type_id == event_type.id))}
    next_order = max((o for o in session.scalars(select(func.max(FieldDefinition.order))
                                                 .where(FieldDefinition.event_type_id == event_type.id))
                      if o is not None), default=-1) + 1
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        prefix = f"Field {number} of {len(items)} ('{item.name}'): " if len(items) > 1 else ""
        if item.name in existing:
            raise Conflict(f"{prefix}event type '{event_type.name}' already has a field named '{item.name}' "
                           f"(id {existing[item.name]})")
        if item.name in seen:
            raise Conflict(f"{prefix}the name '{item.name}' is also used by field {seen[item.name]} of this request")
        seen[item.name] = number
        try:
            check_field(_state(item))
        except InvalidInput as exc:
            raise InvalidInput(prefix + exc.message) from exc
    created: list[FieldDefinition] = []
    for item in items:
        values = item.model_dump()
        if "order" not in item.model_fields_set:
            values["order"] = next_order
            next_order += 1
        created.append(FieldDefinition(branch_id=scope.branch_id, event_type_id=event_type.id, **values))
    session.add_all(created)
    session.flush()
    return created


def create(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
           items: Sequence[FieldCreate]) -> list[FieldDefinition]:
    created = add_fields(session, scope, event_type, items)
    names = ", ".join(f.name for f in created[:10]) + (" …" if len(created) > 10 else "")
    activity.record(session, scope.project, actor=principal, kind="field.created", entity_type="event_type",
                    entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Added {len(created)} field{'s' if len(created) != 1 else ''} to {event_type.name}: "
                            f"{names}")
    return created


def update(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
           field: FieldDefinition, data: FieldUpdate) -> FieldDefinition:
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items()
               if value is not None or key in NULLABLE_ATTRIBUTES}
    state = _state(field)
    merged = FieldState(**{**state.__dict__, **{k: v for k, v in changes.items() if k in state.__dict__}})
    check_field(merged)
    name = f"{event_type.name}.{changes.get('name', field.name)}"
    update_recorded(session, principal, scope.project, field, changes, entity_type="field", entity_name=name,
                    what=f"field {name}")
    return field


def reorder(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
            field_ids: Sequence[uuid.UUID]) -> list[FieldDefinition]:
    current = list_fields(session, event_type)
    by_id = {f.id: f for f in current}
    if len(set(field_ids)) != len(field_ids):
        raise InvalidInput("field_ids lists a field more than once")
    foreign = [str(i) for i in field_ids if i not in by_id]
    if foreign:
        raise InvalidInput(f"Not fields of event type '{event_type.name}': {', '.join(foreign)}")
    missing = [f.name for f in current if f.id not in set(field_ids)]
    if missing:
        raise InvalidInput(f"field_ids must list every field of '{event_type.name}'; missing: {', '.join(missing)}")
    for order, field_id in enumerate(field_ids):
        by_id[field_id].order = order
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="field.reordered", entity_type="event_type",
                    entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Reordered the fields of {event_type.name}")
    return [by_id[i] for i in field_ids]


def delete_field(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
                 field: FieldDefinition) -> None:
    """Deletes the field with every event's value for it and the relations through it."""
    session.execute(delete(Relation).where((Relation.source_field_id == field.id)
                                           | (Relation.target_field_id == field.id)))
    activity.record(session, scope.project, actor=principal, kind="field.deleted", entity_type="field",
                    entity_id=field.id, entity_name=f"{event_type.name}.{field.name}",
                    summary=f"Deleted field {event_type.name}.{field.name} and its values")
    session.delete(field)
    session.flush()
