"""Meta fields: project-wide fields every event carries (owner team, JIRA link, platform…)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.changes import update_recorded
from tripl_core.plan.field_rules import check_meta_field
from tripl_core.plan.meta_field_schemas import MetaFieldCreate, MetaFieldUpdate
from tripl_core.plan.models import MetaField

NULLABLE_ATTRIBUTES = frozenset({"enum_options", "default_value", "link_template"})


def list_meta_fields(session: Session, scope: PlanScope) -> list[MetaField]:
    return list(session.scalars(select(MetaField).where(MetaField.branch_id == scope.branch_id)
                                .order_by(MetaField.order, MetaField.name)))


def get(session: Session, scope: PlanScope, meta_field_id: uuid.UUID) -> MetaField:
    return get_row(session, scope, MetaField, meta_field_id, "Meta field")


def create(session: Session, principal: Principal, scope: PlanScope, data: MetaFieldCreate) -> MetaField:
    holder = session.scalar(select(MetaField.id).where(MetaField.branch_id == scope.branch_id,
                                                       MetaField.name == data.name))
    if holder is not None:
        raise Conflict(f"A meta field named '{data.name}' already exists (id {holder})")
    check_meta_field(data.field_type, data.enum_options, data.default_value, data.link_template)
    values = data.model_dump()
    if "order" not in data.model_fields_set:
        current = session.scalar(select(func.max(MetaField.order)).where(MetaField.branch_id == scope.branch_id))
        values["order"] = 0 if current is None else current + 1
    meta_field = MetaField(project_id=scope.project_id, branch_id=scope.branch_id, **values)
    session.add(meta_field)
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="meta_field.created", entity_type="meta_field",
                    entity_id=meta_field.id, entity_name=meta_field.name,
                    summary=f"Created meta field {meta_field.name}")
    return meta_field


def update(session: Session, principal: Principal, scope: PlanScope, meta_field: MetaField,
           data: MetaFieldUpdate) -> MetaField:
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items()
               if value is not None or key in NULLABLE_ATTRIBUTES}
    final = {key: changes.get(key, getattr(meta_field, key))
             for key in ("field_type", "enum_options", "default_value", "link_template")}
    check_meta_field(str(final["field_type"]), final["enum_options"], final["default_value"],
                     final["link_template"])
    name = str(changes.get("name", meta_field.name))
    update_recorded(session, principal, scope.project, meta_field, changes, entity_type="meta_field",
                    entity_name=name, what=f"meta field {name}")
    return meta_field


def delete_meta_field(session: Session, principal: Principal, scope: PlanScope, meta_field: MetaField) -> None:
    """Deletes the meta field and every event's value for it."""
    activity.record(session, scope.project, actor=principal, kind="meta_field.deleted", entity_type="meta_field",
                    entity_id=meta_field.id, entity_name=meta_field.name,
                    summary=f"Deleted meta field {meta_field.name} and its values")
    session.delete(meta_field)
    session.flush()
