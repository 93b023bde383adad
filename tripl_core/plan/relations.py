"""Relations: declared links between two event types through one field each."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import InvalidInput
from tripl_core.plan.branch_scope import PlanScope, get_row, require_ids
from tripl_core.plan.models import EventType, FieldDefinition, Relation
from tripl_core.plan.relation_schemas import RelationCreate


def list_relations(session: Session, scope: PlanScope) -> list[Relation]:
    return list(session.scalars(select(Relation).where(Relation.branch_id == scope.branch_id)
                                .order_by(Relation.created_at, Relation.id)))


def get(session: Session, scope: PlanScope, relation_id: uuid.UUID) -> Relation:
    return get_row(session, scope, Relation, relation_id, "Relation")


def create(session: Session, principal: Principal, scope: PlanScope, data: RelationCreate) -> Relation:
    require_ids(session, scope, EventType, [data.source_event_type_id, data.target_event_type_id], "Event types")
    require_ids(session, scope, FieldDefinition, [data.source_field_id, data.target_field_id], "Fields")
    source_type = session.get_one(EventType, data.source_event_type_id)
    target_type = session.get_one(EventType, data.target_event_type_id)
    source_field = session.get_one(FieldDefinition, data.source_field_id)
    target_field = session.get_one(FieldDefinition, data.target_field_id)
    for field, event_type, side in ((source_field, source_type, "source"), (target_field, target_type, "target")):
        if field.event_type_id != event_type.id:
            raise InvalidInput(f"{side}_field_id {field.id} ('{field.name}') is not a field of the {side} event "
                               f"type '{event_type.name}'")
    relation = Relation(project_id=scope.project_id, branch_id=scope.branch_id,
                        source_event_type_id=source_type.id, target_event_type_id=target_type.id,
                        source_field_id=source_field.id, target_field_id=target_field.id,
                        relation_type=data.relation_type.value, description=data.description)
    session.add(relation)
    session.flush()
    name = f"{source_type.name}.{source_field.name} → {target_type.name}.{target_field.name}"
    activity.record(session, scope.project, actor=principal, kind="relation.created", entity_type="relation",
                    entity_id=relation.id, entity_name=name, summary=f"Related {name} ({relation.relation_type})")
    return relation


def delete_relation(session: Session, principal: Principal, scope: PlanScope, relation: Relation) -> None:
    activity.record(session, scope.project, actor=principal, kind="relation.deleted", entity_type="relation",
                    entity_id=relation.id, entity_name=relation.relation_type,
                    summary=f"Deleted a {relation.relation_type} relation")
    session.delete(relation)
    session.flush()
