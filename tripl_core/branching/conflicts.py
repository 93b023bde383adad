"""Conflicts of a branch with main as it is now, and the resolutions that settle them.

A resolution is keyed by the entity's identity and the attribute; it records both sides as they were, so
it goes stale (and settles nothing) when either side changes that attribute again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.analysis import merge
from tripl_core.branching import branches, diffs, state
from tripl_core.branching.models import MergeResolution, ResolutionChoice
from tripl_core.branching.schemas import ConflictEntityOut, ConflictFieldOut, ConflictsOut, ResolutionCreate
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.plan.event_schemas import EventCreate, FieldValueIn
from tripl_core.plan.meta_field_schemas import MetaFieldCreate
from tripl_core.plan.models import Branch, BranchStatus, Project
from tripl_core.plan.relation_schemas import RelationCreate
from tripl_core.plan.type_schemas import EventTypeCreate, FieldCreate
from tripl_core.plan.variable_schemas import VariableCreate
from tripl_core.schemas import RequestModel

# The create schemas hold each attribute's rules: a custom value is validated like a normal write of it.
WRITE_SCHEMAS: dict[str, type[RequestModel]] = {
    "event_type": EventTypeCreate, "field": FieldCreate, "meta_field": MetaFieldCreate,
    "variable": VariableCreate, "event": EventCreate, "relation": RelationCreate,
}


def describe(result: merge.MergeResult, saved: Sequence[MergeResolution], namer: diffs.Namer,
             behind_base: bool) -> ConflictsOut:
    by_key = {(r.entity_type, r.entity_key, r.field_name): r for r in saved}
    entities: dict[tuple[str, str], ConflictEntityOut] = {}
    for conflict in result.conflicts:
        entity = entities.get((conflict.entity_type, conflict.key))
        if entity is None:
            entity = entities[(conflict.entity_type, conflict.key)] = ConflictEntityOut(
                entity_type=conflict.entity_type, entity_key=conflict.key,
                entity_name=namer.short_name(conflict.entity_type, conflict.key),
                parent=namer.parent(conflict.entity_type, conflict.key), fields=[])
        saved_one = by_key.get((conflict.entity_type, conflict.key, conflict.attribute))
        entity.fields.append(ConflictFieldOut(
            field_name=namer.attribute(conflict.entity_type, conflict.attribute), kind=conflict.kind,
            base=conflict.base, ours=conflict.ours, theirs=conflict.theirs, resolved=conflict.resolved,
            resolution_id=saved_one.id if saved_one and conflict.resolved else None,
            choice=saved_one.choice if saved_one and conflict.resolved else None,
            stale_resolution_id=saved_one.id if saved_one and conflict.stale_resolution else None))
    return ConflictsOut(entities=list(entities.values()), unresolved_count=len(result.unresolved),
                        behind_base=behind_base)


def current(session: Session, branch: Branch) -> ConflictsOut:
    loaded = state.load(session, branch)
    result, saved = state.merge_result(session, loaded)
    return describe(result, saved, diffs.Namer(loaded.theirs, loaded.ours, loaded.base), loaded.behind_base)


def save(session: Session, principal: Principal, project: Project, branch: Branch,
         data: ResolutionCreate) -> MergeResolution:
    if branch.status in (BranchStatus.merged, BranchStatus.closed):
        raise Conflict(f"Branch '{branch.name}' is {branch.status} and read-only")
    loaded = state.load(session, branch)
    result, _ = state.merge_result(session, loaded)
    namer = diffs.Namer(loaded.theirs, loaded.ours, loaded.base)
    conflict = _find(result.conflicts, namer, data)
    value = _validated(conflict, data) if data.choice == ResolutionChoice.custom else None
    if data.choice == ResolutionChoice.custom and conflict.attribute == merge.WHOLE_ENTITY:
        raise InvalidInput("A deleted-against-changed conflict is settled with ours or theirs, not a custom value")
    existing = session.scalar(select(MergeResolution).where(
        MergeResolution.branch_id == branch.id, MergeResolution.entity_type == conflict.entity_type,
        MergeResolution.entity_key == conflict.key, MergeResolution.field_name == conflict.attribute))
    if existing is not None:
        session.delete(existing)
        session.flush()
    resolution = MergeResolution(branch_id=branch.id, entity_type=conflict.entity_type, entity_key=conflict.key,
                                 entity_name=namer.short_name(conflict.entity_type, conflict.key),
                                 field_name=conflict.attribute, choice=data.choice.value, value=value,
                                 ours_value=conflict.ours, theirs_value=conflict.theirs,
                                 resolved_by_id=principal.user.id)
    session.add(resolution)
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.conflict_resolved", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name,
                    details={"entity_type": conflict.entity_type, "entity_key": conflict.key,
                             "field": conflict.attribute, "choice": data.choice.value},
                    summary=f"Resolved {conflict.entity_type} {resolution.entity_name} "
                            f"{namer.attribute(conflict.entity_type, conflict.attribute)} with {data.choice.value}")
    return resolution


def _find(conflicts: Sequence[merge.Conflict], namer: diffs.Namer, data: ResolutionCreate) -> merge.Conflict:
    matches = [c for c in conflicts
               if c.entity_type == data.entity_type
               and (c.key == data.entity_key if data.entity_key else
                    data.entity_name in (namer.short_name(c.entity_type, c.key), namer.name(c.entity_type, c.key)))
               and data.field_name in (c.attribute, namer.attribute(c.entity_type, c.attribute))]
    if not matches:
        raise NotFound(f"No conflict on {data.entity_type} '{data.entity_name}' {data.field_name}; "
                       "see Get Branch Conflicts for the current ones")
    if len(matches) > 1:
        raise InvalidInput(f"Several {data.entity_type} conflicts are named '{data.entity_name}'; send the "
                           "conflict's entity_key")
    return matches[0]


def _validated(conflict: merge.Conflict, data: ResolutionCreate) -> Any:
    """A custom value checked by the rules of a normal write of that attribute, in snapshot form."""
    attribute = conflict.attribute
    if attribute.startswith(tuple(merge.DYNAMIC_PREFIXES)):
        schema: type[RequestModel] = FieldValueIn
        name = "value"
    elif conflict.entity_type in WRITE_SCHEMAS:
        schema, name = WRITE_SCHEMAS[conflict.entity_type], attribute
    else:  # photos and their comments: a conflict picks one side (sort order, label, a comment's text)
        raise InvalidInput(f"{conflict.entity_type} attribute '{attribute}' takes ours or theirs, not a custom value")
    info = schema.model_fields.get(name)
    if info is None:
        raise InvalidInput(f"{conflict.entity_type} attribute '{attribute}' takes ours or theirs, not a custom value")
    checker = create_model("CustomValue", **{name: (info.annotation, info)})  # type: ignore[call-overload]
    try:
        checked = checker.model_validate({name: data.value})
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        raise InvalidInput(f"Custom value for {conflict.entity_type} {attribute}: {problems}") from None
    return checked.model_dump(mode="json")[name]


def delete(session: Session, principal: Principal, project: Project, branch: Branch,
           resolution_id: uuid.UUID) -> None:
    resolution = session.get(MergeResolution, resolution_id)
    if resolution is None or resolution.branch_id != branch.id:
        raise NotFound(f"Resolution {resolution_id} not found on branch '{branch.name}'")
    if branch.status in (BranchStatus.merged, BranchStatus.closed):
        raise Conflict(f"Branch '{branch.name}' is {branch.status} and read-only")
    session.delete(resolution)
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.resolution_deleted", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name,
                    summary=f"Withdrew the resolution of {resolution.entity_type} {resolution.entity_name} "
                            f"{resolution.field_name}")
