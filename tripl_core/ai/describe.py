"""Describe event / event type (SEMANTICS §13): the plan item, its fields, values, variables and what scans
observed, sent as quoted data; the model proposes a description and field suggestions as strict JSON."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.ai.chat import ChatModel
from tripl_core.ai.prompts import DESCRIBE_SYSTEM, quoted
from tripl_core.ai.schemas import DescribeOut
from tripl_core.observe.models import VariableContext
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.models import Event, EventFieldValue, EventTag, EventType, FieldDefinition, Variable
from tripl_core.service_settings.schema import AiSettings

MAX_SAMPLES = 10
MAX_EVENTS = 30
_TOKEN = re.compile(r"\$\{([^}]+)\}")


def _fields(session: Session, event_type: EventType) -> list[FieldDefinition]:
    return list(session.scalars(select(FieldDefinition).where(FieldDefinition.event_type_id == event_type.id)
                                .order_by(FieldDefinition.order, FieldDefinition.name)))


def _field_data(f: FieldDefinition) -> dict[str, Any]:
    return {"name": f.name, "display_name": f.display_name, "type": f.field_type, "required": f.is_required,
            "description": f.description, "enum_options": f.enum_options}


def event_context(session: Session, scope: PlanScope, event: Event) -> dict[str, Any]:
    event_type = session.get(EventType, event.event_type_id)
    assert event_type is not None
    fields = {f.id: f for f in _fields(session, event_type)}
    values = {fields[v.field_id].name: v.value for v in session.scalars(
        select(EventFieldValue).where(EventFieldValue.event_id == event.id)) if v.field_id in fields}
    tokens = {t for value in values.values() for t in _TOKEN.findall(value)}
    variables = [] if not tokens else [
        {"name": v.name, "type": v.variable_type, "description": v.description}
        for v in session.scalars(select(Variable).where(Variable.branch_id == scope.branch_id,
                                                        Variable.name.in_(sorted(tokens))))]
    observed = [{"field": c.field_name, "column": c.source_column, "values": list(c.values)[:MAX_SAMPLES]}
                for c in session.scalars(select(VariableContext).where(VariableContext.event_id == event.id)
                                         .limit(MAX_SAMPLES))]
    tags = list(session.scalars(select(EventTag.tag).where(EventTag.event_id == event.id)))
    return {"kind": "event", "name": event.name, "source_name": event.source_name, "status": event.status,
            "description": event.description, "tags": sorted(tags),
            "event_type": {"name": event_type.name, "display_name": event_type.display_name,
                           "description": event_type.description},
            "fields": [_field_data(f) for f in fields.values()], "values": values, "variables": variables,
            "observed_samples": observed}


def event_type_context(session: Session, scope: PlanScope, event_type: EventType) -> dict[str, Any]:
    events = session.scalars(select(Event).where(Event.event_type_id == event_type.id)
                             .order_by(Event.order, Event.name).limit(MAX_EVENTS))
    return {"kind": "event_type", "name": event_type.name, "display_name": event_type.display_name,
            "description": event_type.description, "fields": [_field_data(f) for f in _fields(session, event_type)],
            "events": [{"name": e.name, "description": e.description, "status": e.status} for e in events]}


def _ask(model: ChatModel, ai: AiSettings, context: dict[str, Any]) -> DescribeOut:
    messages = [{"role": "system", "content": ai.describe_system_prompt or DESCRIBE_SYSTEM},
                {"role": "user", "content": "Describe this plan item.\n" + quoted(context)}]
    return model.structured(messages, DescribeOut)


def describe_event(session: Session, scope: PlanScope, model: ChatModel, ai: AiSettings,
                   event_id: Any) -> DescribeOut:
    event = get_row(session, scope, Event, event_id, "Event")
    return _ask(model, ai, event_context(session, scope, event))


def describe_event_type(session: Session, scope: PlanScope, model: ChatModel, ai: AiSettings,
                        event_type_id: Any) -> DescribeOut:
    event_type = get_row(session, scope, EventType, event_type_id, "Event type")
    return _ask(model, ai, event_type_context(session, scope, event_type))
