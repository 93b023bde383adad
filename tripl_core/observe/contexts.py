"""Observed variable contexts: a variable's values per event and field (List Variable Values), and the
usage counts of the variable list."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.observe.models import Cardinality, VariableContext
from tripl_core.observe.schemas import VariableValueOut
from tripl_core.plan.models import Event, EventType, Variable

SAMPLE_VALUES = 20


def list_values(session: Session, variable: Variable) -> list[VariableValueOut]:
    """Contexts of the variable (of the main variable a branch copy came from), busiest first."""
    variable_id = variable.origin_id or variable.id
    rows = session.execute(
        select(VariableContext, Event.name, Event.event_type_id, EventType.name)
        .join(Event, Event.id == VariableContext.event_id).join(EventType, EventType.id == Event.event_type_id)
        .where(VariableContext.variable_id == variable_id)
        .order_by(VariableContext.observed_count.desc(), Event.name, VariableContext.field_name))
    return [VariableValueOut(id=c.id, variable_id=c.variable_id, event_id=c.event_id, event_name=event_name,
                             event_type_id=type_id, event_type_name=type_name, field_name=c.field_name,
                             source_column=c.source_column, cardinality=c.cardinality,
                             observed_count=c.observed_count, values=list(c.values or []),
                             scan_config_id=c.scan_config_id, updated_at=c.updated_at)
            for c, event_name, type_id, type_name in rows]


def usage(session: Session, variable_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """`context_count`, `low_context_count`, `high_context_count` and up to 20 `sample_values` per variable:
    one grouped count and one read of the contexts' value lists."""
    if not variable_ids:
        return {}
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for variable_id, cardinality, count in session.execute(
            select(VariableContext.variable_id, VariableContext.cardinality, func.count())
            .where(VariableContext.variable_id.in_(variable_ids))
            .group_by(VariableContext.variable_id, VariableContext.cardinality)):
        row = out.setdefault(variable_id, {"context_count": 0, "low_context_count": 0, "high_context_count": 0,
                                           "sample_values": []})
        row["context_count"] += count
        row["low_context_count" if cardinality == Cardinality.low.value else "high_context_count"] += count
    samples: dict[uuid.UUID, dict[str, None]] = defaultdict(dict)
    for variable_id, values in session.execute(
            select(VariableContext.variable_id, VariableContext.values)
            .where(VariableContext.variable_id.in_(list(out)))
            .order_by(VariableContext.observed_count.desc())):
        for value in values or []:
            if len(samples[variable_id]) < SAMPLE_VALUES:
                samples[variable_id][value] = None
    for variable_id, row in out.items():
        row["sample_values"] = list(samples[variable_id])
    return out
