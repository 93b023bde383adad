"""A branch's plan read into a merge snapshot (tripl_core.analysis.merge): one Core query per table.

Keys are `coalesce(origin_id, id)`: on main (no origins) the row's id, on a working branch the id of the
main row it was copied from, or its own id when it was created on the branch. Scan bookkeeping
(`last_seen_at`, `authored`) is not part of the plan a branch changes and is left out.

Event photos are part of the plan: `photo` records hang off their event (`event` holds its key) and carry the
file reference (`storage_backend`, `storage_key`, `content_type`, `size_bytes`) rather than the bytes, so a
merge points main's row at the same stored file. Photo comments (`photo_comment`: `photo`, `parent`, `body`,
author and time) are the review discussion of a photo and are merged too: comments written on the branch
arrive on main with the photo they belong to, and deleting a photo takes its comments along."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from tripl_core.analysis.merge import ENTITY_TYPES, MutableSnapshot
from tripl_core.photos.models import EventPhoto, PhotoComment
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    EventTag,
    EventType,
    EventTypeOwner,
    FieldDefinition,
    MetaField,
    Relation,
    Variable,
)

EVENT_TYPE_ATTRS = ("name", "display_name", "description", "color", "order")
FIELD_ATTRS = ("name", "display_name", "field_type", "is_required", "enum_options", "description", "order",
               "sensitivity", "contract_required_max_null_rate", "contract_regex", "contract_min_value",
               "contract_max_value", "contract_max_bad_rate")
META_FIELD_ATTRS = ("name", "display_name", "field_type", "is_required", "enum_options", "default_value",
                    "link_template", "order", "sensitivity")
VARIABLE_ATTRS = ("name", "source_name", "variable_type", "description")
EVENT_ATTRS = ("name", "source_name", "description", "order", "status", "sunset_at", "owner_id", "reviewed",
               "metric_breakdown_columns")
RELATION_ATTRS = ("relation_type", "description")
PHOTO_ATTRS = ("kind", "original_filename", "storage_backend", "storage_key", "content_type", "size_bytes",
               "external_url", "sort_order", "uploaded_by_user_id")
PHOTO_COMMENT_ATTRS = ("body", "user_id", "created_at")
# Attributes that reference users or hold times: serialised as text in snapshots.
DATETIME_ATTRS = frozenset({"sunset_at", "created_at"})
USER_ATTRS = frozenset({"owner_id", "uploaded_by_user_id", "user_id"})


def key_of(model: Any) -> ColumnElement[str]:
    """The identity as text: reading 100,000 keys through the Uuid type (a uuid.UUID each) was most of the
    cost of a snapshot."""
    return cast(func.coalesce(model.origin_id, model.id), String)


@lru_cache(maxsize=65_536)
def _key(raw: Any) -> str:
    """SQLite stores uuids as 32 hex digits; keys are the canonical dashed form on both databases (cached:
    event and field keys repeat once per value)."""
    text = str(raw)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def read(session: Session, branch_id: uuid.UUID) -> MutableSnapshot:
    snapshot: MutableSnapshot = {t: {} for t in ENTITY_TYPES}
    session.flush()
    conn = session.connection()  # Core rows: the ORM's result machinery is not needed for plain tuples
    _read_event_types(conn, branch_id, snapshot["event_type"])
    _read_simple(conn, branch_id, FieldDefinition, FIELD_ATTRS, snapshot["field"], parent=True)
    _read_simple(conn, branch_id, MetaField, META_FIELD_ATTRS, snapshot["meta_field"])
    _read_simple(conn, branch_id, Variable, VARIABLE_ATTRS, snapshot["variable"])
    _read_events(conn, branch_id, snapshot["event"])
    _read_relations(conn, branch_id, snapshot["relation"])
    _read_photos(conn, branch_id, snapshot["photo"])
    _read_photo_comments(conn, branch_id, snapshot["photo_comment"])
    return snapshot


def _text(attribute: str, value: Any) -> Any:
    if value is None:
        return None
    if attribute in DATETIME_ATTRS and isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if attribute in USER_ATTRS:
        return _key(value)
    return list(value) if isinstance(value, list) else value


def _read_event_types(session: Connection, branch_id: uuid.UUID, out: dict[str, dict[str, Any]]) -> None:
    columns = [getattr(EventType, a) for a in EVENT_TYPE_ATTRS]
    for row in session.execute(select(key_of(EventType), *columns).where(EventType.branch_id == branch_id)):
        out[_key(row[0])] = {**dict(zip(EVENT_TYPE_ATTRS, row[1:], strict=True)), "owners": []}
    owner_type = aliased(EventType)
    rows = session.execute(select(key_of(owner_type), cast(EventTypeOwner.user_id, String))
                           .join(owner_type, owner_type.id == EventTypeOwner.event_type_id)
                           .where(EventTypeOwner.branch_id == branch_id))
    for type_key, user_id in rows:
        out[_key(type_key)]["owners"].append(_key(user_id))
    for record in out.values():
        record["owners"].sort()


def _read_simple(session: Connection, branch_id: uuid.UUID, model: Any, attrs: tuple[str, ...],
                 out: dict[str, dict[str, Any]], *, parent: bool = False) -> None:
    columns = [getattr(model, a) for a in attrs]
    query = select(key_of(model), *columns).where(model.branch_id == branch_id)
    if parent:
        parent_type = aliased(EventType)
        query = query.add_columns(key_of(parent_type)).join(parent_type, parent_type.id == model.event_type_id)
    for row in session.execute(query):
        record = {a: _text(a, v) for a, v in zip(attrs, row[1:len(attrs) + 1], strict=True)}
        if parent:
            record["event_type"] = _key(row[-1])
        out[_key(row[0])] = record


def _read_events(session: Connection, branch_id: uuid.UUID, out: dict[str, dict[str, Any]]) -> None:
    _read_simple(session, branch_id, Event, EVENT_ATTRS, out, parent=True)
    tags: dict[str, list[str]] = defaultdict(list)
    event = aliased(Event)
    for event_key, tag in session.execute(select(key_of(event), EventTag.tag)
                                          .join(event, event.id == EventTag.event_id)
                                          .where(EventTag.branch_id == branch_id)):
        tags[_key(event_key)].append(tag)
    for key, record in out.items():
        record["tags"] = sorted(tags.get(key, []))
    field = aliased(FieldDefinition)
    values = select(key_of(event), key_of(field), EventFieldValue.value) \
        .join(event, event.id == EventFieldValue.event_id).join(field, field.id == EventFieldValue.field_id) \
        .where(EventFieldValue.branch_id == branch_id)
    for event_key, field_key, value in session.execute(values).all():
        out[_key(event_key)][f"values.{_key(field_key)}"] = value
    meta = aliased(MetaField)
    meta_values = select(key_of(event), key_of(meta), EventMetaValue.value) \
        .join(event, event.id == EventMetaValue.event_id).join(meta, meta.id == EventMetaValue.meta_field_id) \
        .where(EventMetaValue.branch_id == branch_id)
    for event_key, meta_key, value in session.execute(meta_values).all():
        out[_key(event_key)][f"meta.{_key(meta_key)}"] = value


def _read_relations(session: Connection, branch_id: uuid.UUID, out: dict[str, dict[str, Any]]) -> None:
    source_type, target_type = aliased(EventType), aliased(EventType)
    source_field, target_field = aliased(FieldDefinition), aliased(FieldDefinition)
    query = select(key_of(Relation), key_of(source_type), key_of(target_type), key_of(source_field),
                   key_of(target_field), Relation.relation_type, Relation.description) \
        .join(source_type, source_type.id == Relation.source_event_type_id) \
        .join(target_type, target_type.id == Relation.target_event_type_id) \
        .join(source_field, source_field.id == Relation.source_field_id) \
        .join(target_field, target_field.id == Relation.target_field_id) \
        .where(Relation.branch_id == branch_id)
    for key, s_type, t_type, s_field, t_field, relation_type, description in session.execute(query):
        out[_key(key)] = {"source_event_type": _key(s_type), "target_event_type": _key(t_type),
                          "source_field": _key(s_field), "target_field": _key(t_field),
                         "relation_type": relation_type, "description": description}


def _read_photos(session: Connection, branch_id: uuid.UUID, out: dict[str, dict[str, Any]]) -> None:
    event = aliased(Event)
    columns = [getattr(EventPhoto, a) for a in PHOTO_ATTRS]
    query = select(key_of(EventPhoto), key_of(event), *columns).join(event, event.id == EventPhoto.event_id) \
        .where(EventPhoto.branch_id == branch_id)
    for row in session.execute(query):
        out[_key(row[0])] = {"event": _key(row[1]),
                             **{a: _text(a, v) for a, v in zip(PHOTO_ATTRS, row[2:], strict=True)}}


def _read_photo_comments(session: Connection, branch_id: uuid.UUID, out: dict[str, dict[str, Any]]) -> None:
    photo, parent = aliased(EventPhoto), aliased(PhotoComment)
    columns = [getattr(PhotoComment, a) for a in PHOTO_COMMENT_ATTRS]
    query = select(key_of(PhotoComment), key_of(photo), key_of(parent), *columns) \
        .join(photo, photo.id == PhotoComment.photo_id) \
        .outerjoin(parent, parent.id == PhotoComment.parent_id) \
        .where(PhotoComment.branch_id == branch_id)
    for row in session.execute(query):
        out[_key(row[0])] = {"photo": _key(row[1]), "parent": None if row[2] is None else _key(row[2]),
                             **{a: _text(a, v) for a, v in zip(PHOTO_COMMENT_ATTRS, row[3:], strict=True)}}


def entity_counts(snapshot: MutableSnapshot) -> dict[str, int]:
    counts = {f"{t}s": len(snapshot.get(t, {})) for t in ENTITY_TYPES}
    counts["field_values"] = sum(1 for r in snapshot["event"].values() for a in r if a.startswith("values."))
    counts["meta_values"] = sum(1 for r in snapshot["event"].values() for a in r if a.startswith("meta."))
    return counts
