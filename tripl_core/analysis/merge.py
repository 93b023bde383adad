"""The three-way merge of plan snapshots: base (the branch's cut), ours (main now), theirs (the branch now).

A snapshot is `{entity_type: {key: record}}`. The key is an entity's identity across branches (the main row's
id, which every copy keeps as its origin), never its name, so a rename on either side is a change of one
entity. A record maps attributes to JSON values; references to other entities (`event_type`, `source_field`,
and the dynamic `values.<field key>` / `meta.<meta field key>` of events) hold keys.

Per attribute: a one-sided change applies; both sides changing it differently conflict. Deleting an entity
the other side changed conflicts (attribute `*`). Two entities taking the same natural key (type name, field
or event name within a type, variable or meta field name) conflict on the branch's entity (`name`).
Work under an entity counts as a change of it: deleting a type whose events the other side edited (or a field
whose values it edited) conflicts on the type (field), and the choice settles the whole subtree. An entity
left without its parent is dropped.
Event photos (`photo`, child of an event) and their review comments (`photo_comment`, child of a photo; a
reply also references its top-level comment through `parent`, which is None for a top-level comment) are
entities like any other: a new photo or comment on either side is carried, a photo removed on one side and
left alone (with its comments) on the other is removed, and removing one the other side reordered, relabelled
or commented on conflicts on the photo (`*`).
Pure: no database, so it is property-tested directly."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

Record = Mapping[str, Any]
Snapshot = Mapping[str, Mapping[str, Record]]
MutableSnapshot = dict[str, dict[str, dict[str, Any]]]

# In dependency order: parents before children.
ENTITY_TYPES = ("event_type", "field", "meta_field", "variable", "event", "relation", "photo", "photo_comment")
# Attributes that hold another entity's key, and which entity type it is.
REFERENCES: dict[str, dict[str, str]] = {
    "field": {"event_type": "event_type"},
    "event": {"event_type": "event_type"},
    "relation": {"source_event_type": "event_type", "target_event_type": "event_type",
                 "source_field": "field", "target_field": "field"},
    "photo": {"event": "event"},
    # `parent` is None for a top-level comment: a missing reference is no reference (see drop_orphans).
    "photo_comment": {"photo": "photo", "parent": "photo_comment"},
}
# Dynamic attributes of events: `values.<field key>` and `meta.<meta field key>`.
DYNAMIC_PREFIXES = {"values.": "field", "meta.": "meta_field"}
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "event_type": ("name",), "field": ("event_type", "name"), "event": ("event_type", "name"),
    "meta_field": ("name",), "variable": ("name",),
}
WHOLE_ENTITY = "*"


class ConflictKind:
    edit = "edit"  # both sides changed the attribute differently
    delete_edit = "delete_edit"  # main deleted what the branch changed
    edit_delete = "edit_delete"  # the branch deleted what main changed
    name_taken = "name_taken"  # the branch's entity takes a natural key another entity holds


@dataclass(frozen=True)
class Resolution:
    """`choice` ours | theirs | custom (`value`); `ours`/`theirs` are the two sides when it was chosen."""

    choice: str
    ours: Any
    theirs: Any
    value: Any = None


@dataclass(frozen=True)
class Conflict:
    entity_type: str
    key: str
    attribute: str
    kind: str
    base: Any
    ours: Any
    theirs: Any
    holder: str | None = None  # name_taken: the key of the entity already holding the name
    resolution: Resolution | None = None  # a fresh resolution that settles it
    stale_resolution: Resolution | None = None  # one chosen against sides that changed since

    @property
    def resolved(self) -> bool:
        return self.resolution is not None


@dataclass
class MergeResult:
    merged: MutableSnapshot
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Conflict]:
        return [c for c in self.conflicts if not c.resolved]


@dataclass(frozen=True)
class Change:
    """One entity's difference between two snapshots; `attributes` maps attribute → (before, after)."""

    entity_type: str
    key: str
    kind: str  # added | changed | removed
    attributes: dict[str, tuple[Any, Any]]


ResolutionKey = tuple[str, str, str]  # (entity_type, key, attribute)


def diff(before: Snapshot, after: Snapshot) -> list[Change]:
    """Changes that turn `before` into `after`, entity types in dependency order, keys sorted."""
    changes: list[Change] = []
    for entity_type in ENTITY_TYPES:
        old, new = before.get(entity_type, {}), after.get(entity_type, {})
        for key in sorted(old.keys() | new.keys()):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            if a is None:
                assert b is not None
                changes.append(Change(entity_type, key, "added", {k: (None, v) for k, v in b.items()}))
            elif b is None:
                changes.append(Change(entity_type, key, "removed", {k: (v, None) for k, v in a.items()}))
            else:
                changes.append(Change(entity_type, key, "changed",
                                      {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys())
                                       if a.get(k) != b.get(k)}))
    return changes


def apply_changes(snapshot: Snapshot, changes: Iterable[Change]) -> MutableSnapshot:
    """`snapshot` with `changes` applied (then normalised like a merge result)."""
    out = copy_snapshot(snapshot)
    for change in changes:
        records = out.setdefault(change.entity_type, {})
        if change.kind == "removed":
            records.pop(change.key, None)
        elif change.kind == "added":
            records[change.key] = {k: after for k, (_, after) in change.attributes.items()}
        elif change.key in records:
            record = records[change.key]
            for attribute, (_, after) in change.attributes.items():
                record[attribute] = after
    drop_orphans(out)
    return out


def copy_snapshot(snapshot: Snapshot) -> MutableSnapshot:
    return {t: {k: dict(r) for k, r in snapshot.get(t, {}).items()} for t in ENTITY_TYPES}


def change_hash(changes: Iterable[Change]) -> str:
    """A stable hash of a change set (what an approval approves)."""
    canonical = [[c.entity_type, c.key, c.kind, sorted([a, v[0], v[1]] for a, v in c.attributes.items())]
                 for c in changes]
    return sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


def snapshot_hash(snapshot: Snapshot) -> str:
    return sha256(json.dumps({t: snapshot.get(t, {}) for t in ENTITY_TYPES}, sort_keys=True,
                             default=str).encode()).hexdigest()


def three_way(base: Snapshot, ours: Snapshot, theirs: Snapshot,
              resolutions: Mapping[ResolutionKey, Resolution] | None = None) -> MergeResult:
    """Merge `theirs` (the branch) into `ours` (main) from their common `base`.

    An unresolved conflict keeps ours in `merged` (a merge with unresolved conflicts is refused anyway)."""
    sides = _Sides(base, ours, theirs, resolutions or {})
    result = MergeResult(merged={t: {} for t in ENTITY_TYPES})
    for entity_type in ENTITY_TYPES:
        b, o, t = base.get(entity_type, {}), ours.get(entity_type, {}), theirs.get(entity_type, {})
        for key in sorted(b.keys() | o.keys() | t.keys()):
            record = _merge_entity(sides, entity_type, key, b.get(key), o.get(key), t.get(key), result.conflicts)
            if record is not None:
                result.merged[entity_type][key] = record
    _settle_names(base, ours, theirs, sides.resolutions, result)
    drop_orphans(result.merged)
    return result


class _Sides:
    """The three snapshots, and what each side touched: an entity is touched when it changed or anything
    under it did (a field whose values changed, a type whose events or fields changed), so deleting it
    against such work is a conflict of the entity itself, settled once for its whole subtree."""

    def __init__(self, base: Snapshot, ours: Snapshot, theirs: Snapshot,
                 resolutions: Mapping[ResolutionKey, Resolution]) -> None:
        self.base, self.ours, self.theirs, self.resolutions = base, ours, theirs, resolutions
        self.touched_ours = _touched(base, ours)
        self.touched_theirs = _touched(base, theirs)

    def gone(self, side: Snapshot, entity_type: str, key: str) -> bool:
        """Present at the cut, missing on `side`."""
        return key in self.base.get(entity_type, {}) and key not in side.get(entity_type, {})

    def cascaded(self, side: Snapshot, entity_type: str, record: Record) -> bool:
        """`record` (from base) is missing on `side` only because its parent went: not a choice of its own."""
        return any(self.gone(side, target, str(record.get(attr)))
                   for attr, target in REFERENCES.get(entity_type, {}).items())


def _touched(base: Snapshot, side: Snapshot) -> set[tuple[str, str]]:
    touched: set[tuple[str, str]] = set()
    for entity_type in reversed(ENTITY_TYPES):  # children first, so parents collect their subtree's work
        old, new = base.get(entity_type, {}), side.get(entity_type, {})
        for key, record in new.items():
            before = old.get(key)
            if before != record:
                touched.add((entity_type, key))
            if (entity_type, key) not in touched:
                continue
            changed = record if before is None else {a: v for a, v in record.items() if before.get(a) != v}
            for attr, target in REFERENCES.get(entity_type, {}).items():
                if record.get(attr) is not None:
                    touched.add((target, str(record.get(attr))))
            for attribute in (set(changed) | (set(before) - set(record) if before else set())):
                prefix, _, target_key = attribute.partition(".")
                if target_key and prefix + "." in DYNAMIC_PREFIXES:
                    touched.add((DYNAMIC_PREFIXES[prefix + "."], target_key))
    return touched


def _resolve(conflict: Conflict, resolutions: Mapping[ResolutionKey, Resolution],
             found: list[Conflict]) -> Resolution | None:
    """Record the conflict with its fresh resolution (if any); a resolution chosen against other sides
    than today's is stale and settles nothing."""
    chosen = resolutions.get((conflict.entity_type, conflict.key, conflict.attribute))
    if chosen is not None and (chosen.ours != conflict.ours or chosen.theirs != conflict.theirs):
        found.append(_with(conflict, stale_resolution=chosen))
        return None
    found.append(_with(conflict, resolution=chosen))
    return chosen


def _with(conflict: Conflict, **changes: Any) -> Conflict:
    return Conflict(**{**conflict.__dict__, **changes})


def _merge_entity(sides: _Sides, entity_type: str, key: str, base: Record | None, ours: Record | None,
                  theirs: Record | None, found: list[Conflict]) -> dict[str, Any] | None:
    if base is None:  # added on one side (keys of new entities never meet: each side mints its own)
        if ours is not None and theirs is not None:
            return _merge_attributes(sides, entity_type, key, {}, ours, theirs, found)
        added = ours if ours is not None else theirs
        return None if added is None else dict(added)
    # a side that lost the entity only with its parent did not choose to delete it
    ours = base if ours is None and sides.cascaded(sides.ours, entity_type, base) else ours
    theirs = base if theirs is None and sides.cascaded(sides.theirs, entity_type, base) else theirs
    if ours is None and theirs is None:
        return None
    if ours is None or theirs is None:
        survivor = theirs if ours is None else ours
        assert survivor is not None
        touched = sides.touched_theirs if ours is None else sides.touched_ours
        if (entity_type, key) not in touched:  # deleted on one side, left alone (with its subtree) on the other
            return None
        kind = ConflictKind.delete_edit if ours is None else ConflictKind.edit_delete
        chosen = _resolve(Conflict(entity_type, key, WHOLE_ENTITY, kind, base=dict(base),
                                   ours=None if ours is None else dict(ours),
                                   theirs=None if theirs is None else dict(theirs)), sides.resolutions, found)
        pick = ours if chosen is None or chosen.choice == "ours" else theirs
        return None if pick is None else dict(pick)
    return _merge_attributes(sides, entity_type, key, base, ours, theirs, found)


def _merge_attributes(sides: _Sides, entity_type: str, key: str, base: Record, ours: Record, theirs: Record,
                      found: list[Conflict]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for attribute in sorted(base.keys() | ours.keys() | theirs.keys()):
        b, o, t = base.get(attribute), ours.get(attribute), theirs.get(attribute)
        target = _dynamic_target(attribute)
        if target is not None:  # a value lost with its field on one side is no edit of that side
            o = b if sides.gone(sides.ours, *target) else o
            t = b if sides.gone(sides.theirs, *target) else t
        if o == t or t == b:
            value = o
        elif o == b:
            value = t
        else:
            chosen = _resolve(Conflict(entity_type, key, attribute, ConflictKind.edit, base=b, ours=o, theirs=t),
                              sides.resolutions, found)
            value = o if chosen is None or chosen.choice == "ours" else \
                t if chosen.choice == "theirs" else chosen.value
        if value is not None or target is None:
            merged[attribute] = value
    return merged


def _dynamic_target(attribute: str) -> tuple[str, str] | None:
    prefix, _, target_key = attribute.partition(".")
    target = DYNAMIC_PREFIXES.get(prefix + ".") if target_key else None
    return None if target is None else (target, target_key)


def _is_dynamic(attribute: str) -> bool:
    return any(attribute.startswith(prefix) for prefix in DYNAMIC_PREFIXES)


def natural_key(entity_type: str, record: Record) -> tuple[Any, ...] | None:
    names = NATURAL_KEYS.get(entity_type)
    return None if names is None else tuple(record.get(n) for n in names)


def _settle_names(base: Snapshot, ours: Snapshot, theirs: Snapshot,
                  resolutions: Mapping[ResolutionKey, Resolution], result: MergeResult) -> None:
    """Two entities under one natural key: the one whose key (name, parent) came from the branch gets a
    `name_taken` conflict. ours: it keeps main's name (or, new on the branch, is dropped); theirs: the holder
    is dropped when main added it since the cut (otherwise it stays unresolved); custom: a new name."""
    for entity_type in NATURAL_KEYS:
        records = result.merged[entity_type]
        holders: dict[tuple[Any, ...], str] = {}
        for key in sorted(records, key=lambda k: (_came_from_branch(entity_type, k, ours, records), k)):
            natural = natural_key(entity_type, records[key])
            assert natural is not None
            holder = holders.get(natural)
            if holder is None:
                holders[natural] = key
                continue
            ours_record = ours.get(entity_type, {}).get(key)
            conflict = Conflict(entity_type, key, "name", ConflictKind.name_taken,
                                base=(base.get(entity_type, {}).get(key) or {}).get("name"),
                                ours=None if ours_record is None else ours_record.get("name"),
                                theirs=records[key].get("name"), holder=holder)
            chosen = _resolve(conflict, resolutions, result.conflicts)
            if chosen is None:
                continue
            if chosen.choice == "ours":
                if ours_record is None:
                    del records[key]
                else:
                    records[key]["name"] = ours_record.get("name")
            elif chosen.choice == "theirs":
                if holder in base.get(entity_type, {}) or holder in theirs.get(entity_type, {}):
                    result.conflicts[-1] = _with(result.conflicts[-1], resolution=None)
                else:
                    del records[holder]
                    holders[natural] = key
            else:
                records[key]["name"] = chosen.value


def _came_from_branch(entity_type: str, key: str, ours: Snapshot, merged: Mapping[str, Record]) -> bool:
    """Whether the entity's natural key differs from main's version of it (new, renamed or moved there)."""
    ours_record = ours.get(entity_type, {}).get(key)
    return ours_record is None or natural_key(entity_type, ours_record) != natural_key(entity_type, merged[key])


def drop_orphans(snapshot: MutableSnapshot) -> list[tuple[str, str]]:
    """Remove entities whose referenced parents are missing, and dynamic values of missing fields; returns
    the dropped entities. A None reference is none (a top-level comment has no parent comment)."""
    dropped: list[tuple[str, str]] = []
    for entity_type in ENTITY_TYPES:
        references = REFERENCES.get(entity_type, {})
        records = snapshot.get(entity_type, {})
        again = True
        while again:  # a type that references itself (replies) may orphan rows it already passed
            again = False
            for key in list(records):
                record = records[key]
                if any(record.get(attr) is not None and record.get(attr) not in snapshot.get(target, {})
                       for attr, target in references.items()):
                    del records[key]
                    dropped.append((entity_type, key))
                    again = entity_type in references.values()
                    continue
                for attribute in [a for a in record if _is_dynamic(a)]:
                    prefix, _, target_key = attribute.partition(".")
                    if target_key not in snapshot.get(DYNAMIC_PREFIXES[prefix + "."], {}) \
                            or record[attribute] is None:
                        del record[attribute]
    return dropped
