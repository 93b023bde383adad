"""Events: create, update and delete (one or in bulk, all-or-nothing), with their tags, values and history."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, DomainError, InvalidInput
from tripl_core.plan import event_order, history
from tripl_core.plan import tags as tag_rules
from tripl_core.plan.branch_scope import PlanScope, get_row, require_ids
from tripl_core.plan.event_schemas import BulkUpdate, EventCreate, EventUpdate, FieldValueIn, MetaValueIn
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    EventStatus,
    EventTag,
    EventType,
    FieldDefinition,
    MetaField,
)


def get(session: Session, scope: PlanScope, event_id: uuid.UUID) -> Event:
    return get_row(session, scope, Event, event_id, "Event")


@contextmanager
def item(number: int, total: int, *, bulk: bool) -> Iterator[None]:
    """Inside a bulk request, errors name the failing item: "Event 3 of 10: …"."""
    try:
        yield
    except DomainError as exc:
        if not bulk:
            raise
        raise type(exc)(f"Event {number} of {total}: {exc.message}", details=exc.details) from exc


@dataclass
class PlanContext:
    """What validating events of a branch needs, loaded once per request."""

    types: dict[uuid.UUID, EventType]
    fields: dict[uuid.UUID, dict[uuid.UUID, FieldDefinition]]
    meta_fields: dict[uuid.UUID, MetaField]
    users: set[uuid.UUID] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, scope: PlanScope, type_ids: set[uuid.UUID],
             owner_ids: set[uuid.UUID]) -> PlanContext:
        types = {t.id: t for t in session.scalars(select(EventType).where(EventType.id.in_(type_ids)))}
        fields: dict[uuid.UUID, dict[uuid.UUID, FieldDefinition]] = {tid: {} for tid in types}
        for f in session.scalars(select(FieldDefinition).where(FieldDefinition.event_type_id.in_(type_ids))):
            fields[f.event_type_id][f.id] = f
        meta = {m.id: m for m in session.scalars(select(MetaField).where(MetaField.branch_id == scope.branch_id))}
        users = set(session.scalars(select(User.id).where(User.id.in_(owner_ids)))) if owner_ids else set()
        return cls(types=types, fields=fields, meta_fields=meta, users=users)

    def check_owner(self, owner_id: uuid.UUID | None) -> None:
        if owner_id is not None and owner_id not in self.users:
            raise InvalidInput(f"owner_id {owner_id} is not a user of this workspace")

    def field_changes(self, event_type_id: uuid.UUID, items: Sequence[FieldValueIn]) -> dict[uuid.UUID, str | None]:
        own = self.fields.get(event_type_id, {})
        out: dict[uuid.UUID, str | None] = {}
        for value in items:
            if value.field_id not in own:
                raise InvalidInput(f"field_values: field {value.field_id} is not a field of event type "
                                   f"'{self.types[event_type_id].name}'")
            if value.field_id in out:
                raise InvalidInput(f"field_values: field '{own[value.field_id].name}' is given twice")
            out[value.field_id] = value.value or None
        return out

    def meta_changes(self, items: Sequence[MetaValueIn]) -> dict[uuid.UUID, str | None]:
        out: dict[uuid.UUID, str | None] = {}
        for value in items:
            if value.meta_field_id not in self.meta_fields:
                raise InvalidInput(f"meta_values: meta field {value.meta_field_id} is not in this project")
            if value.meta_field_id in out:
                raise InvalidInput(f"meta_values: meta field '{self.meta_fields[value.meta_field_id].name}' "
                                   "is given twice")
            out[value.meta_field_id] = value.value or None
        return out


def sunset_for(status: str, sunset_at: datetime | None, *, given: bool, current: datetime | None) -> datetime | None:
    """`sunset_at` belongs to deprecated events: it is cleared when the event leaves `deprecated`."""
    if status != EventStatus.deprecated.value:
        if given and sunset_at is not None:
            raise InvalidInput(f"sunset_at only applies to deprecated events; this event would be {status}")
        return None
    return sunset_at if given else current


def _name_holders(session: Session, pairs: set[tuple[uuid.UUID, str]]) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    if not pairs:
        return {}
    type_ids = {t for t, _ in pairs}
    names = {n for _, n in pairs}
    rows = session.execute(select(Event.event_type_id, Event.name, Event.id)
                           .where(Event.event_type_id.in_(type_ids), Event.name.in_(names)))
    return {(t, n): i for t, n, i in rows if (t, n) in pairs}


def create_many(session: Session, principal: Principal, scope: PlanScope, items: Sequence[EventCreate], *,
                bulk: bool) -> list[Event]:
    """Validates every item before writing any; the first bad one rejects the request, named."""
    if bulk and not items:
        raise InvalidInput("The list of events is empty")
    type_ids = {i.event_type_id for i in items}
    require_ids(session, scope, EventType, type_ids, "Event types")
    ctx = PlanContext.load(session, scope, type_ids, {i.owner_id for i in items if i.owner_id})
    holders = _name_holders(session, {(i.event_type_id, i.name) for i in items})
    seen: dict[tuple[uuid.UUID, str], int] = {}
    prepared: list[tuple[EventCreate, list[str], dict[uuid.UUID, str | None], dict[uuid.UUID, str | None]]] = []
    total = len(items)
    for number, data in enumerate(items, start=1):
        with item(number, total, bulk=bulk):
            key = (data.event_type_id, data.name)
            type_name = ctx.types[data.event_type_id].name
            if key in holders:
                raise Conflict(f"Event type '{type_name}' already has an event named '{data.name}' "
                               f"(id {holders[key]})")
            if key in seen:
                raise Conflict(f"the name '{data.name}' in '{type_name}' is also used by event {seen[key]} "
                               "of this request")
            seen[key] = number
            sunset_for(data.status.value, data.sunset_at, given=True, current=None)
            ctx.check_owner(data.owner_id)
            prepared.append((data, tag_rules.normalize(data.tags), ctx.field_changes(data.event_type_id,
                                                                                     data.field_values),
                             ctx.meta_changes(data.meta_values)))
    next_order = dict(session.execute(select(Event.event_type_id, func.max(Event.order))
                                      .where(Event.event_type_id.in_(type_ids)).group_by(Event.event_type_id)).all())
    events: list[Event] = []
    rows: list[Any] = []
    for data, tags, values, metas in prepared:
        order = next_order.get(data.event_type_id)
        order = 0 if order is None else order + 1
        next_order[data.event_type_id] = order
        event = Event(id=uuid.uuid4(), project_id=scope.project_id, branch_id=scope.branch_id,
                      event_type_id=data.event_type_id, name=data.name, description=data.description,
                      status=data.status.value, sunset_at=data.sunset_at, owner_id=data.owner_id,
                      reviewed=data.reviewed, metric_breakdown_columns=list(data.metric_breakdown_columns),
                      order=order)
        events.append(event)
        rows += [EventTag(branch_id=scope.branch_id, event_id=event.id, tag=t) for t in tags]
        rows += [EventFieldValue(branch_id=scope.branch_id, event_id=event.id, field_id=fid, value=v, authored=True)
                 for fid, v in values.items() if v is not None]
        rows += [EventMetaValue(branch_id=scope.branch_id, event_id=event.id, meta_field_id=mid, value=v,
                                authored=True) for mid, v in metas.items() if v is not None]
        after = _snapshot_of_create(data, tags, ctx, values, metas)
        rows.append(history.entry(event, "created", history.diff({}, after), actor=principal))
    session.add_all(events)
    session.flush()
    session.add_all(rows)
    session.flush()
    if bulk:
        activity.record(session, scope.project, actor=principal, kind="event.bulk_created", entity_type="event",
                        summary=f"Created {len(events)} events", details={"event_ids": [str(e.id) for e in events]})
    else:
        event = events[0]
        activity.record(session, scope.project, actor=principal, kind="event.created", entity_type="event",
                        entity_id=event.id, entity_name=event.name,
                        summary=f"Created event {event.name} in {ctx.types[event.event_type_id].name}")
    return events


def _snapshot_of_create(data: EventCreate, tags: list[str], ctx: PlanContext, values: dict[uuid.UUID, str | None],
                        metas: dict[uuid.UUID, str | None]) -> dict[str, Any]:
    snapshot: dict[str, Any] = {"name": data.name, "description": data.description or None,
                                "status": data.status.value, "sunset_at": data.sunset_at,
                                "owner_id": data.owner_id, "reviewed": data.reviewed or None,
                                "metric_breakdown_columns": list(data.metric_breakdown_columns) or None,
                                "tags": tags or None}
    fields = ctx.fields[data.event_type_id]
    snapshot |= {f"field_values.{fields[fid].name}": v for fid, v in values.items()}
    snapshot |= {f"meta_values.{ctx.meta_fields[mid].name}": v for mid, v in metas.items()}
    return snapshot


SCALARS = ("name", "description", "status", "sunset_at", "owner_id", "reviewed", "metric_breakdown_columns")


def update(session: Session, principal: Principal, scope: PlanScope, event: Event, data: EventUpdate) -> Event:
    ctx = PlanContext.load(session, scope, {event.event_type_id}, {data.owner_id} if data.owner_id else set())
    given = data.model_fields_set
    if data.name is not None and data.name != event.name:
        holder = _name_holders(session, {(event.event_type_id, data.name)})
        if holder:
            raise Conflict(f"Event type '{ctx.types[event.event_type_id].name}' already has an event named "
                           f"'{data.name}' (id {next(iter(holder.values()))})")
    status = (data.status.value if data.status is not None else event.status)
    sunset = sunset_for(status, data.sunset_at, given="sunset_at" in given, current=event.sunset_at)
    if "owner_id" in given:
        ctx.check_owner(data.owner_id)
    new: dict[str, Any] = {"status": status, "sunset_at": sunset}
    for key in ("name", "description", "reviewed", "metric_breakdown_columns"):
        if getattr(data, key) is not None:
            new[key] = getattr(data, key)
    if "owner_id" in given:
        new["owner_id"] = data.owner_id
    tags = tag_rules.normalize(data.tags) if data.tags is not None else None
    values = ctx.field_changes(event.event_type_id, data.field_values) if data.field_values is not None else {}
    metas = ctx.meta_changes(data.meta_values) if data.meta_values is not None else {}
    changes = _apply(session, event, new, tags, values, metas, ctx)
    if changes:
        session.add(history.entry(event, "updated", changes, actor=principal))
        session.flush()
        activity.record(session, scope.project, actor=principal, kind="event.updated", entity_type="event",
                        entity_id=event.id, entity_name=event.name,
                        summary=f"Updated event {event.name}: {', '.join(c['field'] for c in changes[:8])}"
                                + (" …" if len(changes) > 8 else ""),
                        details={"changes": history.jsonable(changes)})
    return event


def _apply(session: Session, event: Event, new: dict[str, Any], tags: list[str] | None,
           values: dict[uuid.UUID, str | None], metas: dict[uuid.UUID, str | None],
           ctx: PlanContext) -> history.Changes:
    """Applies the changes to one event and returns them field by field (before → after)."""
    before = {key: getattr(event, key) for key in new}
    changes = history.diff(before, new)
    for change in changes:
        setattr(event, change["field"], change["after"])
    if tags is not None:
        current = sorted(session.scalars(select(EventTag.tag).where(EventTag.event_id == event.id)))
        if sorted(tags) != current:
            changes.append({"field": "tags", "before": current, "after": sorted(tags)})
            session.execute(delete(EventTag).where(EventTag.event_id == event.id))
            session.add_all([EventTag(branch_id=event.branch_id, event_id=event.id, tag=t) for t in tags])
    if values:
        fields = ctx.fields[event.event_type_id]
        existing = {v.field_id: v for v in session.scalars(
            select(EventFieldValue).where(EventFieldValue.event_id == event.id,
                                          EventFieldValue.field_id.in_(list(values))))}
        changes += _write_values(session, event, values, existing, lambda fid: f"field_values.{fields[fid].name}",
                                 lambda fid, v: EventFieldValue(branch_id=event.branch_id, event_id=event.id,
                                                                field_id=fid, value=v, authored=True))
    if metas:
        current_meta = {v.meta_field_id: v for v in session.scalars(
            select(EventMetaValue).where(EventMetaValue.event_id == event.id,
                                         EventMetaValue.meta_field_id.in_(list(metas))))}
        changes += _write_values(session, event, metas, current_meta,
                                 lambda mid: f"meta_values.{ctx.meta_fields[mid].name}",
                                 lambda mid, v: EventMetaValue(branch_id=event.branch_id, event_id=event.id,
                                                               meta_field_id=mid, value=v, authored=True))
    if changes:
        event.updated_at = utcnow()
    session.flush()
    return changes


def _write_values(session: Session, event: Event, wanted: dict[uuid.UUID, str | None], existing: dict[uuid.UUID, Any],
                  label: Any, make: Any) -> history.Changes:
    """Writes values as authored; an empty value is removed (handed back to scans)."""
    changes: history.Changes = []
    for key, value in wanted.items():
        row = existing.get(key)
        before = row.value if row is not None else None
        if value is None:
            if row is not None:
                session.delete(row)
                changes.append({"field": label(key), "before": before, "after": None})
            continue
        if row is None:
            session.add(make(key, value))
        else:
            row.value = value
            row.authored = True
        if before != value:
            changes.append({"field": label(key), "before": before, "after": value})
    return changes


def update_many(session: Session, principal: Principal, scope: PlanScope, data: BulkUpdate) -> list[Event]:
    events = _load_many(session, scope, data.event_ids)
    ctx = PlanContext.load(session, scope, {e.event_type_id for e in events},
                           {data.owner_id} if data.owner_id else set())
    given = data.model_fields_set
    plans: list[dict[str, Any]] = []
    for number, event in enumerate(events, start=1):
        with item(number, len(events), bulk=True):
            status = data.status.value if data.status is not None else event.status
            new: dict[str, Any] = {"status": status,
                                   "sunset_at": sunset_for(status, data.sunset_at, given="sunset_at" in given,
                                                           current=event.sunset_at)}
            if "owner_id" in given:
                ctx.check_owner(data.owner_id)
                new["owner_id"] = data.owner_id
            if data.reviewed is not None:
                new["reviewed"] = data.reviewed
            plans.append(new)
    touched = 0
    for event, new in zip(events, plans, strict=True):
        changes = _apply(session, event, new, None, {}, {}, ctx)
        if changes:
            touched += 1
            session.add(history.entry(event, "updated", changes, actor=principal))
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="event.bulk_updated", entity_type="event",
                    summary=f"Updated {touched} of {len(events)} events: "
                            f"{', '.join(sorted(k for k in given if k != 'event_ids')) or 'no attributes'}",
                    details={"event_ids": [str(e.id) for e in events]})
    return events


def update_tags(session: Session, principal: Principal, scope: PlanScope, ids: Sequence[uuid.UUID], action: str,
                raw_tags: Sequence[str]) -> list[Event]:
    """`add` tags to, `remove` tags from, or `set` the tags of many events at once."""
    events = _load_many(session, scope, ids)
    wanted = tag_rules.normalize(raw_tags)
    current: dict[uuid.UUID, list[str]] = defaultdict(list)
    for event_id, tag in session.execute(select(EventTag.event_id, EventTag.tag)
                                         .where(EventTag.event_id.in_([e.id for e in events]))):
        current[event_id].append(tag)
    ctx = PlanContext(types={}, fields={}, meta_fields={})
    for number, event in enumerate(events, start=1):
        with item(number, len(events), bulk=True):
            have = current[event.id]
            if action == "add":
                tags = tag_rules.normalize([*have, *wanted])
            elif action == "remove":
                tags = [t for t in have if t not in set(wanted)]
            else:
                tags = wanted
        changes = _apply(session, event, {}, tags, {}, {}, ctx)
        if changes:
            session.add(history.entry(event, "updated", changes, actor=principal))
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="event.tags_updated", entity_type="event",
                    summary=f"Tags {action}: {', '.join(wanted) or '(none)'} on {len(events)} events",
                    details={"event_ids": [str(e.id) for e in events]})
    return events


def delete_many(session: Session, principal: Principal, scope: PlanScope, ids: Sequence[uuid.UUID], *,
                bulk: bool) -> None:
    events = _load_many(session, scope, ids)
    type_ids = {e.event_type_id for e in events}
    session.execute(delete(Event).where(Event.id.in_([e.id for e in events])))
    for e in events:
        session.expunge(e)
    event_order.densify(session, type_ids)
    if bulk:
        activity.record(session, scope.project, actor=principal, kind="event.bulk_deleted", entity_type="event",
                        summary=f"Deleted {len(events)} events",
                        details={"event_names": [e.name for e in events[:100]]})
    else:
        activity.record(session, scope.project, actor=principal, kind="event.deleted", entity_type="event",
                        entity_id=events[0].id, entity_name=events[0].name, summary=f"Deleted event {events[0].name}")


def _load_many(session: Session, scope: PlanScope, ids: Sequence[uuid.UUID]) -> list[Event]:
    """Events of the branch in the order of `ids`; ids of other projects or branches are named (422)."""
    if not ids:
        raise InvalidInput("The list of event ids is empty")
    if len(set(ids)) != len(ids):
        raise InvalidInput("The list of event ids names an event more than once")
    require_ids(session, scope, Event, ids, "Events")
    by_id = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(list(ids))))}
    return [by_id[i] for i in ids]
