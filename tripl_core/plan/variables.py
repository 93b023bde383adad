"""Variables: named `${token}`s used in field and meta values, with their usage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, func, literal, select, union
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict
from tripl_core.plan import history, templates
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.changes import apply_changes
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    FieldDefinition,
    MetaField,
    Variable,
)
from tripl_core.plan.variable_schemas import VariableCreate, VariableOut, VariableUpdate


def list_variables(session: Session, scope: PlanScope) -> list[Variable]:
    return list(session.scalars(select(Variable).where(Variable.branch_id == scope.branch_id)
                                .order_by(Variable.name)))


def get(session: Session, scope: PlanScope, variable_id: uuid.UUID) -> Variable:
    return get_row(session, scope, Variable, variable_id, "Variable")


def names(session: Session, branch_id: uuid.UUID) -> set[str]:
    return set(session.scalars(select(Variable.name).where(Variable.branch_id == branch_id)))


# Observed contexts (`context_count`, `low_context_count`, `high_context_count`, `sample_values`) are
# recorded by scans on main and kept by `observe`, a layer above the plan: the caller passes the provider
# in (it answers a batch of main variable ids with a fixed number of queries); `observe.plan_views` does.
ContextUsage = Callable[[Session, Sequence[uuid.UUID]], dict[uuid.UUID, dict[str, Any]]]


def describe(session: Session, scope: PlanScope, items: list[Variable],
             context_usage: ContextUsage) -> list[VariableOut]:
    """Variable rows with `event_count`, counted for all of them in one grouped query, and their observed
    contexts (a branch copy shows the contexts of the main variable it was copied from)."""
    counts = _event_counts(session, scope.branch_id) if items else {}
    main_ids = {v.id: v.origin_id or v.id for v in items}
    usage = context_usage(session, list(main_ids.values())) if items else {}
    return [VariableOut.model_validate(v).model_copy(
        update={"event_count": counts.get(v.id, 0), **usage.get(main_ids[v.id], {})}) for v in items]


def _token_pattern(name: SQLColumnExpression[str]) -> ColumnElement[str]:
    # LIKE '%${name}%' with `_` escaped (variable names use it; in LIKE it matches any character).
    return literal("%${") + func.replace(name, "_", "\\_") + literal("}%")


def _event_counts(session: Session, branch_id: uuid.UUID) -> dict[uuid.UUID, int]:
    uses = [select(Variable.id.label("variable_id"), table.event_id.label("event_id"))
            .join(table, and_(table.branch_id == Variable.branch_id,
                              table.value.like(_token_pattern(Variable.name), escape="\\")))
            .where(Variable.branch_id == branch_id)
            for table in (EventFieldValue, EventMetaValue)]
    used = union(*uses).subquery()
    rows = session.execute(select(used.c.variable_id, func.count()).group_by(used.c.variable_id))
    return {variable_id: int(count) for variable_id, count in rows}


def create(session: Session, principal: Principal, scope: PlanScope, data: VariableCreate) -> Variable:
    _ensure_name_free(session, scope, data.name)
    variable = Variable(project_id=scope.project_id, branch_id=scope.branch_id, name=data.name,
                        variable_type=data.variable_type.value, description=data.description)
    session.add(variable)
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="variable.created", entity_type="variable",
                    entity_id=variable.id, entity_name=variable.name, summary=f"Created variable ${{{variable.name}}}")
    return variable


def update(session: Session, principal: Principal, scope: PlanScope, variable: Variable,
           data: VariableUpdate) -> Variable:
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    old_name, rewritten = variable.name, 0
    if changes.get("name", old_name) != old_name:
        _ensure_name_free(session, scope, changes["name"])
        rewritten = _rewrite_tokens(session, principal, scope, old_name, changes["name"])
    changed = apply_changes(session, variable, changes)
    if changed:
        summary = f"Updated variable ${{{variable.name}}}: {', '.join(sorted(changed))}"
        if "name" in changed:
            summary += f" (renamed from ${{{changed['name']['before']}}}; {rewritten} values rewritten)"
        activity.record(session, scope.project, actor=principal, kind="variable.updated", entity_type="variable",
                        entity_id=variable.id, entity_name=variable.name, summary=summary,
                        details={"changes": changed, "values_rewritten": rewritten})
    return variable


def _rewrite_tokens(session: Session, principal: Principal, scope: PlanScope, old: str, new: str) -> int:
    """Rewrites `${old}` → `${new}` in every field and meta value of the branch, with event history."""
    like = "%" + old.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    changes: dict[uuid.UUID, history.Changes] = defaultdict(list)
    count = 0
    field_rows = session.execute(
        select(EventFieldValue, FieldDefinition.name).join(FieldDefinition,
                                                           FieldDefinition.id == EventFieldValue.field_id)
        .where(EventFieldValue.branch_id == scope.branch_id, EventFieldValue.value.like(like, escape="\\")))
    meta_rows = session.execute(
        select(EventMetaValue, MetaField.name).join(MetaField, MetaField.id == EventMetaValue.meta_field_id)
        .where(EventMetaValue.branch_id == scope.branch_id, EventMetaValue.value.like(like, escape="\\")))
    for prefix, rows in (("field_values", field_rows), ("meta_values", meta_rows)):
        for value_row, label in rows:
            rewritten = templates.rename_token(value_row.value, old, new)
            if rewritten != value_row.value:
                changes[value_row.event_id].append({"field": f"{prefix}.{label}", "before": value_row.value,
                                                    "after": rewritten})
                value_row.value = rewritten
                count += 1
    if changes:
        for event in session.scalars(select(Event).where(Event.id.in_(list(changes)))):
            session.add(history.entry(event, "variable_renamed", changes[event.id], actor=principal))
    session.flush()
    return count


def delete_variable(session: Session, principal: Principal, scope: PlanScope, variable: Variable) -> None:
    """Values keep their `${name}` tokens (they then show as unknown-variable warnings)."""
    activity.record(session, scope.project, actor=principal, kind="variable.deleted", entity_type="variable",
                    entity_id=variable.id, entity_name=variable.name, summary=f"Deleted variable ${{{variable.name}}}")
    session.delete(variable)
    session.flush()


def _ensure_name_free(session: Session, scope: PlanScope, name: str) -> None:
    holder = session.scalar(select(Variable.id).where(Variable.branch_id == scope.branch_id, Variable.name == name))
    if holder is not None:
        raise Conflict(f"A variable named '{name}' already exists (id {holder})")
