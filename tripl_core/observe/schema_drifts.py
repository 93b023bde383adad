"""Schema drifts of the main plan: listing, the four actions and their effects on the plan, the events'
`drift_count` and the projects' open-drift count."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.analysis import field_types
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.observe.models import DriftStatus, DriftType, SchemaDrift
from tripl_core.observe.schemas import DriftAction
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.models import Event, EventType, FieldDefinition

DEFAULT_SNOOZE = timedelta(days=7)


def list_for_type(session: Session, event_type: EventType) -> list[SchemaDrift]:
    return list(session.scalars(select(SchemaDrift).where(SchemaDrift.event_type_id == event_type.id)
                                .order_by(SchemaDrift.detected_at.desc(), SchemaDrift.field_name)))


def get(session: Session, scope: PlanScope, drift_id: uuid.UUID) -> SchemaDrift:
    drift = session.get(SchemaDrift, drift_id)
    if drift is None or drift.project_id != scope.project_id:
        raise NotFound(f"Drift {drift_id} not found in project '{scope.project.slug}'")
    return drift


def apply_action(session: Session, principal: Principal, scope: PlanScope, drift: SchemaDrift,
                 body: DriftAction) -> SchemaDrift:
    if not scope.is_main:
        raise Conflict("Drifts describe the main branch; act on them without ?branch")
    now = utcnow()
    if body.action == "snooze":
        until = body.snoozed_until or now + DEFAULT_SNOOZE
        if until <= now:
            raise InvalidInput("snoozed_until must be in the future")
        drift.status, drift.snoozed_until = DriftStatus.snoozed.value, until
    elif body.action == "reopen":
        drift.status, drift.snoozed_until = DriftStatus.open.value, None
    else:
        if body.action == "accept":
            _accept(session, drift)
        drift.status = DriftStatus.accepted.value if body.action == "accept" else DriftStatus.false_positive.value
        drift.snoozed_until = None
    drift.resolution_note = body.note
    drift.resolved_at = None if body.action == "reopen" else now
    drift.resolved_by = None if body.action == "reopen" else principal.user.id
    session.flush()
    activity.record(session, scope.project, actor=principal, kind=f"drift.{body.action}", entity_type="schema_drift",
                    entity_id=drift.id, entity_name=drift.field_name,
                    summary=f"{body.action.replace('_', ' ').capitalize()}: {drift.drift_type} on {drift.field_name}",
                    details={"note": body.note, "status": drift.status})
    return drift


def _accept(session: Session, drift: SchemaDrift) -> None:
    """A new field is added, a type change retypes the field, a missing field is deleted."""
    field = session.scalar(select(FieldDefinition).where(FieldDefinition.event_type_id == drift.event_type_id,
                                                         FieldDefinition.name == drift.field_name))
    event_type = session.get(EventType, drift.event_type_id)
    assert event_type is not None
    if drift.drift_type == DriftType.new_field.value and field is None:
        order = session.scalar(select(func.max(FieldDefinition.order))
                               .where(FieldDefinition.event_type_id == drift.event_type_id))
        session.add(FieldDefinition(branch_id=event_type.branch_id, event_type_id=event_type.id, name=drift.field_name,
                                    display_name=drift.field_name, order=(order if order is not None else -1) + 1,
                                    field_type=field_types.new_field_type(drift.observed_type or "string"),
                                    description="Added by accepting a new_field drift."))
    elif drift.drift_type == DriftType.type_changed.value and field is not None:
        _retype(field, field_types.new_field_type(drift.observed_type or "string"))
    elif drift.drift_type == DriftType.missing_field.value and field is not None:
        session.delete(field)


def _retype(field: FieldDefinition, field_type: str) -> None:
    """The new type with the contracts it cannot carry cleared."""
    field.field_type = field_type
    field.enum_options = None
    if field_type not in ("string", "url"):
        field.contract_regex = None
    if field_type != "number":
        field.contract_min_value = field.contract_max_value = None


def count_for_events(session: Session, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open drifts of each event's type touching it (seen on its identity, or on the whole type)."""
    if not event_ids:
        return {}
    events = session.execute(select(Event.id, Event.event_type_id, Event.source_name)
                             .where(Event.id.in_(event_ids))).all()
    drifts: dict[uuid.UUID, list[list[str]]] = defaultdict(list)
    for type_id, names in session.execute(
            select(SchemaDrift.event_type_id, SchemaDrift.source_names)
            .where(SchemaDrift.event_type_id.in_({type_id for _, type_id, _ in events}),
                   SchemaDrift.status == DriftStatus.open.value)):
        drifts[type_id].append(names or [])
    return {event_id: sum(1 for names in drifts[type_id] if not names or source_name in names)
            for event_id, type_id, source_name in events if drifts[type_id]}


def open_counts(session: Session, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    out: dict[uuid.UUID, dict[str, Any]] = {pid: {"open_drifts": 0} for pid in project_ids}
    if project_ids:
        for project_id, count in session.execute(
                select(SchemaDrift.project_id, func.count()).where(SchemaDrift.project_id.in_(project_ids),
                                                                   SchemaDrift.status == DriftStatus.open.value)
                .group_by(SchemaDrift.project_id)):
            out[project_id]["open_drifts"] = count
    return out
