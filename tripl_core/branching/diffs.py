"""Merge changes and conflicts in words: entity names instead of keys, the one entry shape of branch and
revision diffs (`{entity_type, kind, name, parent, field_changes}`) with a summary of counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.analysis.merge import DYNAMIC_PREFIXES, REFERENCES, Change, Snapshot
from tripl_core.branching import state
from tripl_core.branching.schemas import BranchDiffOut, DiffEntry, FieldChange
from tripl_core.plan.models import Branch

# Where an entity's `parent` in a diff entry comes from when it is not its event type.
PARENTS = {"photo": ("event", "event"), "photo_comment": ("photo", "photo")}
PREVIEW = 80


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW else flat[:PREVIEW - 1] + "…"


class Namer:
    """Names entities by key, looking in each snapshot in turn (a deleted entity is named from before)."""

    def __init__(self, *snapshots: Snapshot) -> None:
        self.snapshots = snapshots

    def record(self, entity_type: str, key: str) -> dict[str, Any] | None:
        for snapshot in self.snapshots:
            record = snapshot.get(entity_type, {}).get(key)
            if record is not None:
                return dict(record)
        return None

    def name(self, entity_type: str, key: str) -> str:
        record = self.record(entity_type, key)
        if record is None:
            return key
        if entity_type == "relation":
            return (f"{self.name('field', record['source_field'])} → {self.name('field', record['target_field'])}"
                    f" ({record.get('relation_type')})")
        if entity_type == "field":
            return f"{self.name('event_type', record['event_type'])}.{record.get('name')}"
        if entity_type == "photo":  # the label (the uploaded file's name or the Figma title)
            return str(record.get("original_filename") or record.get("kind") or key)
        if entity_type == "photo_comment":
            return _preview(str(record.get("body") or key))
        return str(record.get("name", key))

    def short_name(self, entity_type: str, key: str) -> str:
        record = self.record(entity_type, key)
        if record is None or entity_type == "relation":
            return key
        return self.name(entity_type, key) if entity_type in PARENTS else str(record.get("name", key))

    def parent(self, entity_type: str, key: str) -> str | None:
        record = self.record(entity_type, key)
        if record is None:
            return None
        attribute, parent_type = PARENTS.get(entity_type, ("event_type", "event_type"))
        if attribute not in record:
            return None
        return self.name(parent_type, record[attribute])

    def attribute(self, entity_type: str, attribute: str) -> str:
        prefix, _, target_key = attribute.partition(".")
        target = DYNAMIC_PREFIXES.get(prefix + ".") if target_key else None
        return attribute if target is None else f"{prefix}.{self.short_name(target, target_key)}"

    def value(self, entity_type: str, attribute: str, value: Any) -> Any:
        target = REFERENCES.get(entity_type, {}).get(attribute)
        return value if target is None or value is None else self.name(target, str(value))


def entries(changes: Sequence[Change], namer: Namer) -> list[DiffEntry]:
    return [DiffEntry(entity_type=c.entity_type, kind=c.kind, name=namer.short_name(c.entity_type, c.key),
                      parent=namer.parent(c.entity_type, c.key), entity_key=c.key,
                      field_changes=[FieldChange(field=namer.attribute(c.entity_type, a),
                                                 before=namer.value(c.entity_type, a, before),
                                                 after=namer.value(c.entity_type, a, after))
                                     for a, (before, after) in sorted(c.attributes.items())])
            for c in changes]


def summary(changes: Sequence[Change]) -> dict[str, Any]:
    by_kind = Counter(c.kind for c in changes)
    by_type: dict[str, dict[str, int]] = {}
    for change in changes:
        counts = by_type.setdefault(change.entity_type, {"added": 0, "changed": 0, "removed": 0})
        counts[change.kind] += 1
    return {"total": len(changes), "added": by_kind["added"], "changed": by_kind["changed"],
            "removed": by_kind["removed"], "by_entity_type": by_type}


def branch_diff(session: Session, branch: Branch) -> BranchDiffOut:
    """What the branch changed since its cut; `behind_base` when main moved since."""
    loaded = state.load(session, branch)
    return BranchDiffOut(entries=entries(loaded.changes, Namer(loaded.theirs, loaded.base)),
                         summary={**summary(loaded.changes), "change_hash": loaded.change_hash},
                         behind_base=loaded.behind_base)
