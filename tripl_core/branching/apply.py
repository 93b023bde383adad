"""Writing a merge result onto main: the changes from main now to the merged plan, as set-based Core
statements (deletes by id list, executemany inserts, one update per changed row).

Keys of entities main already has are main ids; an entity new to main (created on the branch, or restored
by a `theirs` resolution) gets a fresh id, and references to it are re-pointed.

A photo row written onto main names the branch's stored file (no copy). A photo the merge removes from main
gives its file up: `released_files` lists them for the caller to release after commit, where files.release
deletes each only if no photo row on any branch still references it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.analysis import merge
from tripl_core.branching.snapshot import DATETIME_ATTRS, USER_ATTRS
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict
from tripl_core.photos.models import EventPhoto, PhotoComment
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventHistoryEntry,
    EventMetaValue,
    EventTag,
    EventType,
    EventTypeOwner,
    FieldDefinition,
    MetaField,
    Relation,
    Variable,
)
from tripl_core.scan_configs.models import ScanConfig

TABLES: dict[str, Any] = {"event_type": EventType, "field": FieldDefinition, "meta_field": MetaField,
                          "variable": Variable, "event": Event, "relation": Relation, "photo": EventPhoto,
                          "photo_comment": PhotoComment}
# Snapshot reference attribute → column holding the referenced id.
REFERENCE_COLUMNS = {"event_type": "event_type_id", "source_event_type": "source_event_type_id",
                     "target_event_type": "target_event_type_id", "source_field": "source_field_id",
                     "target_field": "target_field_id", "event": "event_id", "photo": "photo_id",
                     "parent": "parent_id"}
# Attributes kept in their own rows rather than columns.
SET_ATTRS = frozenset({"owners", "tags"})
PROJECT_SCOPED = frozenset({"event_type", "meta_field", "variable", "event", "relation", "photo"})
StoredFile = tuple[str, str]  # (storage backend, storage key)


class MainWriter:
    def __init__(self, session: Session, project_id: uuid.UUID, main_id: uuid.UUID, ours: merge.Snapshot,
                 principal: Principal) -> None:
        self.session = session
        self.project_id = project_id
        self.main_id = main_id
        self.ours = ours
        self.principal = principal
        self.new_ids: dict[tuple[str, str], uuid.UUID] = {}
        self.released_files: list[StoredFile] = []

    def id_of(self, entity_type: str, key: str) -> uuid.UUID:
        if key in self.ours.get(entity_type, {}):
            return uuid.UUID(key)
        return self.new_ids.setdefault((entity_type, key), uuid.uuid4())

    def apply(self, merged: merge.Snapshot) -> list[merge.Change]:
        changes = merge.diff(self.ours, merged)
        removed = [c for c in changes if c.kind == "removed"]
        self._check_scan_bindings(removed)
        for entity_type in reversed(merge.ENTITY_TYPES):
            ids = [uuid.UUID(c.key) for c in removed if c.entity_type == entity_type]
            if ids:
                table = _table(TABLES[entity_type])
                self.session.execute(delete(table).where(table.c.id.in_(ids)))
        for entity_type in merge.ENTITY_TYPES:
            added = [c for c in changes if c.kind == "added" and c.entity_type == entity_type]
            if added:
                self._insert(entity_type, added)
        for change in changes:
            if change.kind == "changed":
                self._update(change)
        self._record_history([c for c in changes if c.entity_type == "event" and c.kind != "removed"])
        self.session.flush()
        self.released_files = _released_files(self.ours, changes)
        return changes

    def _check_scan_bindings(self, removed: list[merge.Change]) -> None:
        type_ids = [uuid.UUID(c.key) for c in removed if c.entity_type == "event_type"]
        if not type_ids:
            return
        bound = self.session.scalars(select(ScanConfig.name).where(ScanConfig.event_type_id.in_(type_ids))).all()
        if bound:
            raise Conflict(f"The branch deletes event types that scan config(s) "
                           f"{', '.join(repr(n) for n in bound)} are bound to; change those configs first")

    def _columns(self, entity_type: str, record: merge.Record) -> dict[str, Any]:
        """A record's column values (references as main ids), without set- and value-attributes."""
        out: dict[str, Any] = {}
        for attribute, value in record.items():
            if attribute in SET_ATTRS or attribute.startswith(tuple(merge.DYNAMIC_PREFIXES)):
                continue
            if attribute in REFERENCE_COLUMNS:
                target = merge.REFERENCES[entity_type][attribute]
                out[REFERENCE_COLUMNS[attribute]] = None if value is None else self.id_of(target, value)
            else:
                out[attribute] = _column_value(attribute, value)
        return out

    def _insert(self, entity_type: str, added: list[merge.Change]) -> None:
        if entity_type == "photo_comment":  # replies point at comments: insert those first
            top_level = [c for c in added if c.attributes.get("parent", (None, None))[1] is None]
            replies = [c for c in added if c.attributes.get("parent", (None, None))[1] is not None]
            if top_level and replies:
                self._insert_rows(entity_type, top_level)
                self._insert_rows(entity_type, replies)
                return
        self._insert_rows(entity_type, added)

    def _insert_rows(self, entity_type: str, added: list[merge.Change]) -> None:
        rows = []
        for change in added:
            record = {a: after for a, (_, after) in change.attributes.items()}
            row = {"id": self.id_of(entity_type, change.key), "branch_id": self.main_id,
                   **self._columns(entity_type, record)}
            if entity_type in PROJECT_SCOPED:
                row["project_id"] = self.project_id
            rows.append(row)
        self.session.execute(insert(_table(TABLES[entity_type])), rows)
        for change in added:
            self._write_sets(entity_type, change, replace=False)

    def _update(self, change: merge.Change) -> None:
        after = {a: new for a, (_, new) in change.attributes.items()}
        columns = self._columns(change.entity_type, after)
        row_id = self.id_of(change.entity_type, change.key)
        if columns:
            table = _table(TABLES[change.entity_type])
            self.session.execute(update(table).where(table.c.id == row_id).values(**columns, updated_at=utcnow()))
        self._write_sets(change.entity_type, change, replace=True)

    def _write_sets(self, entity_type: str, change: merge.Change, *, replace: bool) -> None:
        """Owners, tags and event values: rows of their own, rewritten when they changed."""
        row_id = self.id_of(entity_type, change.key)
        for attribute, (before, after) in change.attributes.items():
            if attribute == "owners":
                self._replace_rows(EventTypeOwner, EventTypeOwner.event_type_id == row_id, replace,
                                   [{"event_type_id": row_id, "user_id": uuid.UUID(u)} for u in after or []])
            elif attribute == "tags":
                self._replace_rows(EventTag, EventTag.event_id == row_id, replace,
                                   [{"event_id": row_id, "tag": t} for t in after or []])
            elif attribute.startswith("values."):
                field_id = self.id_of("field", attribute.removeprefix("values."))
                self._replace_rows(EventFieldValue, (EventFieldValue.event_id == row_id)
                                   & (EventFieldValue.field_id == field_id), replace and before is not None,
                                   [] if after is None else
                                   [{"event_id": row_id, "field_id": field_id, "value": after, "authored": True}])
            elif attribute.startswith("meta."):
                meta_id = self.id_of("meta_field", attribute.removeprefix("meta."))
                self._replace_rows(EventMetaValue, (EventMetaValue.event_id == row_id)
                                   & (EventMetaValue.meta_field_id == meta_id), replace and before is not None,
                                   [] if after is None else
                                   [{"event_id": row_id, "meta_field_id": meta_id, "value": after,
                                     "authored": True}])

    def _replace_rows(self, model: Any, where: Any, replace: bool, rows: list[dict[str, Any]]) -> None:
        table = _table(model)
        if replace:
            self.session.execute(delete(table).where(where))
        if rows:
            self.session.execute(insert(table), [{**r, "branch_id": self.main_id} for r in rows])

    def _record_history(self, changes: list[merge.Change]) -> None:
        """Each event the merge created or changed gets a history entry, like any other write to it."""
        if not changes:
            return
        rows = [{"id": uuid.uuid4(), "branch_id": self.main_id, "event_id": self.id_of("event", c.key),
                 "action": "merged" if c.kind == "changed" else "created_by_merge",
                 "changes": [{"field": a, "before": _jsonable(b), "after": _jsonable(n)}
                             for a, (b, n) in sorted(c.attributes.items())],
                 "actor_id": self.principal.user.id, "actor_name": self.principal.display_name,
                 "created_at": utcnow()} for c in changes]
        self.session.execute(insert(_table(EventHistoryEntry)), rows)


def _released_files(ours: merge.Snapshot, changes: list[merge.Change]) -> list[StoredFile]:
    """Files that main's photos named before the merge and no longer do (removed, or pointed elsewhere)."""
    released: list[StoredFile] = []
    for change in changes:
        if change.entity_type != "photo" or change.kind == "added":
            continue
        if change.kind == "changed" and not {"storage_backend", "storage_key"} & change.attributes.keys():
            continue
        before = ours.get("photo", {}).get(change.key, {})
        if before.get("storage_backend") and before.get("storage_key"):
            released.append((str(before["storage_backend"]), str(before["storage_key"])))
    return released


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool, list, dict)) else str(value)


def _column_value(attribute: str, value: Any) -> Any:
    if value is None:
        return None
    if attribute in DATETIME_ATTRS:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if attribute in USER_ATTRS:
        return uuid.UUID(str(value))
    return value


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def grouped(changes: list[merge.Change]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for change in changes:
        counts[change.kind] += 1
    return dict(counts)
