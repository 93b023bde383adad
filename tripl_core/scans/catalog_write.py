"""The plan half of a catalog scan, run inside the scan's one write transaction on the main branch:
event types, fields, events (matched on `source_name`), non-authored field values, variables and their
observed contexts, `last_seen_at` and the `live` promotion.

Types the scan creates, and existing types without fields (or events), are discovered: the scan adds
their fields (events). A type that already has a plan keeps it: undeclared fields become `new_field`
drifts and unplanned identities shadow-event candidates, for a person to accept."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.analysis import field_types, identity
from tripl_core.analysis.identity import FieldSource, ObservedEvent
from tripl_core.observe.models import VariableContext
from tripl_core.observe.observations import Observation, PlanWrite
from tripl_core.plan import history
from tripl_core.plan.event_types import default_display_name
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventStatus,
    EventType,
    FieldDefinition,
    Project,
    Variable,
    VariableType,
)
from tripl_core.scans.catalog_read import ScanInput

PROMOTED = frozenset({EventStatus.ready_for_dev.value, EventStatus.implemented.value})
MAX_NAME = 100





def write_plan(session: Session, project: Project, branch_id: uuid.UUID, scan: ScanInput, obs: Observation,
               now: datetime) -> PlanWrite:
    actor = f"scan {scan.name}"
    types = _ensure_types(session, project, branch_id, scan, obs)
    result = PlanWrite(types=types, discovered_fields=set())
    fields = _ensure_fields(session, branch_id, scan, obs, result)
    sources = _bind_variables(session, project, branch_id, obs.sources, result)
    events = list(session.scalars(select(Event).where(Event.event_type_id.in_([t.id for t in types.values()]))))
    index = _EventIndex(events)
    for observed in obs.plan.events:
        event_type = types.get(observed.event_type)
        if event_type is None:
            result.counts["events_skipped"] += 1
            continue
        event = index.find(event_type.id, observed.identity)
        if event is not None and event.status == EventStatus.archived.value:
            result.counts["events_skipped"] += 1
            continue
        if event is None and index.has_events(event_type.id) and event_type.id not in index.created_in:
            result.shadows.append(observed)
            continue
        if event is None:
            event = _create_event(session, project, branch_id, event_type, observed, scan.name, now, index)
            result.counts["events_created"] += 1
        elif _touch(session, event, observed, actor, now):
            result.counts["events_updated"] += 1
        result.matched[(observed.event_type, observed.identity)] = event
    _fill_values(session, result, fields, sources, obs.plan.events, actor)
    _record_contexts(session, project, scan, result, sources, obs.plan.events, now)
    session.flush()
    return result


def _ensure_types(session: Session, project: Project, branch_id: uuid.UUID, scan: ScanInput,
                  obs: Observation) -> dict[str, EventType]:
    types = {t.name: t for t in session.scalars(select(EventType).where(EventType.branch_id == branch_id))}
    order = max((t.order for t in types.values()), default=-1)
    for name in sorted(obs.type_rows):
        if name in types or not name or len(name) > MAX_NAME or scan.bound_type:
            continue
        order += 1
        types[name] = EventType(project_id=project.id, branch_id=branch_id, name=name,
                                display_name=default_display_name(name), order=order,
                                description=f"Created by scan '{scan.name}' from the warehouse column "
                                            f"{scan.event_type_column}.")
        session.add(types[name])
    session.flush()
    return {name: t for name, t in types.items() if name in obs.type_rows}


def _ensure_fields(session: Session, branch_id: uuid.UUID, scan: ScanInput, obs: Observation,
                   result: PlanWrite) -> dict[uuid.UUID, dict[str, FieldDefinition]]:
    ids = [t.id for t in result.types.values()]
    fields: dict[uuid.UUID, dict[str, FieldDefinition]] = {tid: {} for tid in ids}
    for f in session.scalars(select(FieldDefinition).where(FieldDefinition.event_type_id.in_(ids))
                             .order_by(FieldDefinition.order)):
        fields[f.event_type_id][f.name] = f
    for type_name, event_type in result.types.items():
        if fields[event_type.id]:
            continue
        result.discovered_fields.add(event_type.id)
        seen = obs.observed.get(type_name, {})
        present = [s for s in obs.sources if seen.get(s.label) and seen[s.label].present > 0
                   and len(s.label) <= MAX_NAME]
        for order, source in enumerate(present):
            created = FieldDefinition(branch_id=branch_id, event_type_id=event_type.id, name=source.label,
                                      display_name=source.label, order=order,
                                      field_type=field_types.new_field_type(source.observed_type),
                                      description=f"Seen by scan '{scan.name}' ({_cardinality(source)}).")
            session.add(created)
            fields[event_type.id][source.label] = created
            result.counts["fields_created"] += 1
    session.flush()
    return fields


def _cardinality(source: FieldSource) -> str:
    if source.cardinality is identity.Cardinality.high:  # distinct counts stop at the threshold + 1
        return f"high cardinality, more than {source.distinct - 1} distinct values"
    return f"low cardinality, {source.distinct} distinct values"


def _bind_variables(session: Session, project: Project, branch_id: uuid.UUID, sources: Sequence[FieldSource],
                    result: PlanWrite) -> dict[str, tuple[FieldSource, Variable | None]]:
    """Each source with its variable: variable sources get one (found by `source_name`, else created);
    a literal source an existing variable is bound to becomes a variable source."""
    existing = list(session.scalars(select(Variable).where(Variable.branch_id == branch_id)))
    by_source = {v.source_name: v for v in existing if v.source_name}
    taken = {v.name for v in existing}
    out: dict[str, tuple[FieldSource, Variable | None]] = {}
    for source in sources:
        variable = by_source.get(source.label)
        if variable is None and source.variable:
            variable = Variable(project_id=project.id, branch_id=branch_id,
                                name=identity.variable_name(source.label, taken), source_name=source.label,
                                variable_type=_variable_type(source.observed_type),
                                description=f"Bound to {source.label} by a scan.")
            session.add(variable)
            taken.add(variable.name)
            by_source[source.label] = variable
            result.counts["variables_created"] += 1
        bound = dataclasses.replace(source, variable=True) if variable is not None else source
        out[source.label] = (bound, variable)
    session.flush()
    return out


class _EventIndex:
    def __init__(self, events: Sequence[Event]) -> None:
        self.by_source = {(e.event_type_id, e.source_name): e for e in events if e.source_name}
        self.by_name = {(e.event_type_id, e.name): e for e in events}
        self.counts: dict[uuid.UUID, int] = defaultdict(int)
        self.orders: dict[uuid.UUID, int] = defaultdict(lambda: -1)
        for e in events:
            self.counts[e.event_type_id] += 1
            self.orders[e.event_type_id] = max(self.orders[e.event_type_id], e.order)
        self.created_in: set[uuid.UUID] = set()

    def find(self, type_id: uuid.UUID, name: str) -> Event | None:
        event = self.by_source.get((type_id, name))
        if event is None:
            candidate = self.by_name.get((type_id, name))
            event = candidate if candidate is not None and candidate.source_name is None else None
        return event

    def has_events(self, type_id: uuid.UUID) -> bool:
        return self.counts[type_id] > 0

    def add(self, event: Event) -> None:
        if event.source_name is not None:  # always set on events a scan creates; the index holds only those
            self.by_source[(event.event_type_id, event.source_name)] = event
        self.by_name[(event.event_type_id, event.name)] = event
        self.counts[event.event_type_id] += 1
        self.created_in.add(event.event_type_id)

    def free_name(self, type_id: uuid.UUID, wanted: str) -> str:
        name, number = wanted, 2
        while (type_id, name) in self.by_name:
            suffix = f" ({number})"
            name, number = wanted[:500 - len(suffix)] + suffix, number + 1
        return name


def _create_event(session: Session, project: Project, branch_id: uuid.UUID, event_type: EventType,
                  observed: ObservedEvent, scan_name: str, now: datetime, index: _EventIndex) -> Event:
    index.orders[event_type.id] += 1
    event = Event(id=uuid.uuid4(), project_id=project.id, branch_id=branch_id, event_type_id=event_type.id,
                  name=index.free_name(event_type.id, observed.identity), source_name=observed.identity,
                  status=EventStatus.in_review.value, order=index.orders[event_type.id],
                  last_seen_at=observed.last_seen or now,
                  description=f"Created by scan '{scan_name}': seen {observed.count} times in the warehouse; "
                              "review it before it is planned.")
    session.add(event)
    index.add(event)
    session.add(history.entry(event, "created", [{"field": "status", "before": None, "after": event.status}],
                              actor=None, actor_name=f"scan {scan_name}"))
    return event


def _touch(session: Session, event: Event, observed: ObservedEvent, actor: str, now: datetime) -> bool:
    """Adopt the identity, move `last_seen_at` forward, promote to live; True when anything changed."""
    before = {"source_name": event.source_name, "status": event.status}
    seen = observed.last_seen or now
    changed = event.last_seen_at is None or seen > event.last_seen_at
    if changed:
        event.last_seen_at = seen
    if event.source_name is None:
        event.source_name = observed.identity
    if event.status in PROMOTED and observed.count > 0:
        event.status = EventStatus.live.value
    changes = history.diff(before, {"source_name": event.source_name, "status": event.status})
    if changes:
        session.add(history.entry(event, "promoted" if event.status != before["status"] else "updated", changes,
                                  actor=None, actor_name=actor))
    return changed or bool(changes)


def _fill_values(session: Session, result: PlanWrite, fields: dict[uuid.UUID, dict[str, FieldDefinition]],
                 sources: dict[str, tuple[FieldSource, Variable | None]], observed: Sequence[ObservedEvent],
                 actor: str) -> None:
    """Empty and scan-written values get what this scan saw; authored values are never touched."""
    session.flush()
    event_ids = [e.id for e in result.matched.values()]
    existing = {(v.event_id, v.field_id): v for v in session.scalars(
        select(EventFieldValue).where(EventFieldValue.event_id.in_(event_ids)))} if event_ids else {}
    for seen in observed:
        event = result.matched.get((seen.event_type, seen.identity))
        if event is None:
            continue
        changes: history.Changes = []
        for name, definition in fields.get(event.event_type_id, {}).items():
            source, variable = sources.get(name, (None, None))
            if source is None:
                continue
            value = identity.field_value(source, seen.fields.get(name), variable.name if variable else None)
            current = existing.get((event.id, definition.id))
            if value is None or (current is not None and (current.authored or current.value == value)):
                continue
            changes.append({"field": f"field_values.{name}", "before": current.value if current else None,
                            "after": value})
            if current is None:
                session.add(EventFieldValue(branch_id=event.branch_id, event_id=event.id, field_id=definition.id,
                                            value=value, authored=False))
            else:
                current.value = value
        if changes:
            result.counts["values_written"] += len(changes)
            session.add(history.entry(event, "scanned", changes, actor=None, actor_name=actor))


def _record_contexts(session: Session, project: Project, scan: ScanInput, result: PlanWrite,
                     sources: dict[str, tuple[FieldSource, Variable | None]], observed: Sequence[ObservedEvent],
                     now: datetime) -> None:
    bound = [source for source, _ in sources.values()]
    variables = {label: variable for label, (_, variable) in sources.items() if variable is not None}
    plans = identity.contexts(observed, bound)
    if not plans:
        return
    session.flush()
    ids = [v.id for v in variables.values()]
    existing = {(c.variable_id, c.event_id, c.field_name): c for c in session.scalars(
        select(VariableContext).where(VariableContext.variable_id.in_(ids)))}
    for plan in plans:
        event, variable = result.matched.get((plan.event_type, plan.identity)), variables.get(plan.source)
        if event is None or variable is None:
            continue
        row = existing.get((variable.id, event.id, plan.field_name))
        if row is None:
            row = VariableContext(project_id=project.id, variable_id=variable.id, event_id=event.id,
                                  field_name=plan.field_name)
            session.add(row)
            result.counts["contexts_recorded"] += 1
        row.scan_config_id, row.source_column = scan.scan_config_id, plan.source
        row.cardinality, row.observed_count, row.values = plan.cardinality.value, plan.observed_count, list(plan.values)
        row.updated_at = now


def _variable_type(observed: str) -> str:
    return {field_types.NUMBER: VariableType.number.value, field_types.BOOLEAN: VariableType.boolean.value,
            field_types.JSON: VariableType.json.value}.get(observed, VariableType.string.value)

