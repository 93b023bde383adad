"""Event responses: a page of events with their type, tags, values, drift counts and template warnings,
loaded with a fixed number of statements whatever the page size."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from tripl_core.plan import templates, variables
from tripl_core.plan.event_schemas import EventOut
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    EventTag,
    EventType,
    FieldDefinition,
    MetaField,
)

# `drift_count` = open schema drifts of the event's type touching the event. Drifts are raised by scans and
# kept by `observe`, a layer above the plan: the caller passes their counter in (one grouped query for a
# batch of event ids); `observe.plan_views` is the composition the API uses.
DriftCounter = Callable[[Session, Sequence[uuid.UUID]], dict[uuid.UUID, int]]


def describe(session: Session, events: Sequence[Event], count_drifts: DriftCounter) -> list[EventOut]:
    return EVENT_LIST.validate_python(describe_rows(session, events, count_drifts))


def describe_rows(session: Session, events: Sequence[Event], count_drifts: DriftCounter) -> list[dict[str, Any]]:
    """`EventOut`-shaped plain data. Pages of events serialise this directly: validating thousands of value
    rows built from typed columns only re-checked what the database already guarantees."""
    if not events:
        return []
    ids = [e.id for e in events]
    branch_id = events[0].branch_id
    types = {t.id: {"id": t.id, "name": t.name, "display_name": t.display_name, "color": t.color}
             for t in session.scalars(select(EventType).where(EventType.id.in_({e.event_type_id for e in events})))}
    # Plain dicts, validated in one pass by pydantic-core at the end: far cheaper than a model per value.
    # Ids of value rows stay text (hex on SQLite, dashed on PostgreSQL): building a uuid.UUID per id in
    # Python was the largest cost of a page. Grouping uses `_key`; responses print `_canonical`.
    field_values: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event_id, field_id, name, value, authored in session.execute(
            select(_raw(EventFieldValue.event_id), _raw(EventFieldValue.field_id), FieldDefinition.name,
                   EventFieldValue.value, EventFieldValue.authored)
            .join(FieldDefinition, FieldDefinition.id == EventFieldValue.field_id)
            .where(EventFieldValue.event_id.in_(ids)).order_by(FieldDefinition.order, FieldDefinition.name)):
        field_values[_key(event_id)].append({"field_id": _canonical(field_id), "field_name": name, "value": value,
                                       "authored": authored})
    meta_values: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event_id, meta_field_id, name, value, authored in session.execute(
            select(_raw(EventMetaValue.event_id), _raw(EventMetaValue.meta_field_id), MetaField.name,
                   EventMetaValue.value, EventMetaValue.authored)
            .join(MetaField, MetaField.id == EventMetaValue.meta_field_id)
            .where(EventMetaValue.event_id.in_(ids)).order_by(MetaField.order, MetaField.name)):
        meta_values[_key(event_id)].append({"meta_field_id": _canonical(meta_field_id), "meta_field_name": name,
                                            "value": value, "authored": authored})
    tags: dict[str, list[str]] = defaultdict(list)
    for event_id, tag in session.execute(select(_raw(EventTag.event_id), EventTag.tag)
                                         .where(EventTag.event_id.in_(ids)).order_by(EventTag.tag)):
        tags[_key(event_id)].append(tag)
    known = variables.names(session, branch_id)
    drifts = count_drifts(session, ids)
    keys = {e.id: e.id.hex for e in events}
    return [{
        "id": e.id, "project_id": e.project_id, "event_type_id": e.event_type_id, "event_type": types[e.event_type_id],
        "name": e.name, "source_name": e.source_name, "description": e.description, "order": e.order,
        "status": e.status, "sunset_at": e.sunset_at, "last_seen_at": e.last_seen_at, "owner_id": e.owner_id,
        "reviewed": e.reviewed, "metric_breakdown_columns": list(e.metric_breakdown_columns or []),
        "drift_count": drifts.get(e.id, 0), "tags": tags[keys[e.id]], "field_values": field_values[keys[e.id]],
        "meta_values": meta_values[keys[e.id]],
        "warnings": value_warnings(field_values[keys[e.id]], meta_values[keys[e.id]], known),
        "created_at": e.created_at, "updated_at": e.updated_at} for e in events]


EVENT_LIST = TypeAdapter(list[EventOut])


def _raw(column: Any) -> Any:
    return cast(column, String)


def _key(raw_id: str) -> str:
    return raw_id.replace("-", "")


def _canonical(raw_id: str) -> str:
    """SQLite keeps uuids as 32 hex digits; print them in the usual dashed form."""
    if len(raw_id) == 32:
        return f"{raw_id[:8]}-{raw_id[8:12]}-{raw_id[12:16]}-{raw_id[16:20]}-{raw_id[20:]}"
    return raw_id


def value_warnings(field_values: Sequence[dict[str, Any]], meta_values: Sequence[dict[str, Any]],
                   known: set[str]) -> list[str]:
    pairs = [(f"field_values.{v['field_name']}", v["value"]) for v in field_values if "${" in v["value"]]
    pairs += [(f"meta_values.{v['meta_field_name']}", v["value"]) for v in meta_values if "${" in v["value"]]
    return templates.warnings_for(pairs, known)
