"""Writes `DEMO_PLAN` into a project's main branch through the plan services, so the demo's event
types, fields, meta fields, variables and events carry the same history and activity as hand-made ones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.demo.plan import DEMO_PLAN, DemoPlan, PlanEventType, PlanField
from tripl_core.plan import event_types, events, meta_fields, variables
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.event_schemas import EventCreate, MetaValueIn
from tripl_core.plan.event_types import default_display_name
from tripl_core.plan.meta_field_schemas import MetaFieldCreate
from tripl_core.plan.models import Event, EventStatus, FieldType, MetaFieldType, VariableType
from tripl_core.plan.type_schemas import EventTypeCreate, FieldCreate
from tripl_core.plan.variable_schemas import VariableCreate


def write_demo_plan(session: Session, principal: Principal, scope: PlanScope,
                    plan: DemoPlan = DEMO_PLAN) -> list[Event]:
    """Every part of `plan` in `scope`'s branch; returns the events created. Variables are bound to the
    column or JSON path they stand for (`source_name`), so a scan uses them instead of creating its own;
    events are named as in the warehouse, and the first scan adopts that name as their identity."""
    type_ids = {spec.name: event_types.create(session, principal, scope, _event_type(spec)).id
                for spec in plan.event_types}
    meta_ids = {spec.name: meta_fields.create(session, principal, scope, MetaFieldCreate(
        name=spec.name, display_name=default_display_name(spec.name), field_type=MetaFieldType(spec.field_type),
        enum_options=list(spec.enum_options) if spec.enum_options else None, default_value=spec.default_value,
        link_template=spec.link_template)).id for spec in plan.meta_fields}
    for spec in plan.variables:
        variable = variables.create(session, principal, scope, VariableCreate(
            name=spec.name, variable_type=VariableType(spec.variable_type), description=spec.description))
        variable.source_name = spec.source_name
    created = events.create_many(session, principal, scope, [
        EventCreate(event_type_id=type_ids[spec.event_type], name=spec.name, description=spec.description,
                    status=EventStatus(spec.status), tags=list(spec.tags),
                    meta_values=[MetaValueIn(meta_field_id=meta_ids[name], value=value)
                                 for name, value in spec.meta_values])
        for spec in plan.events], bulk=True)
    session.flush()
    return created


def _event_type(spec: PlanEventType) -> EventTypeCreate:
    return EventTypeCreate(name=spec.name, display_name=spec.display_name, description=spec.description,
                           color=spec.color, field_definitions=[_field(f) for f in spec.fields])


def _field(spec: PlanField) -> FieldCreate:
    leaf = spec.name.rsplit(".", 1)[-1]
    return FieldCreate(name=spec.name, display_name=default_display_name(leaf), field_type=FieldType(spec.field_type),
                       is_required=spec.is_required, description=spec.description,
                       enum_options=list(spec.enum_options) if spec.enum_options else None)
