"""The plan as code generation, the JSON Schema export and payload validation see it: every event of a
branch (archived ones left out) with the property tree of its type's fields.

A field named with dots (`properties.ab.variant`, a JSON path a scan read) is a nested property: the
payload carries it as `{"properties": {"ab": {"variant": …}}}`. An object is required when any field
under it is. All four consumers read this one snapshot, so they cannot disagree about the plan."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.models import Branch, Event, EventStatus, EventType, FieldDefinition

SUPPORTED_TYPES = ("string", "number", "boolean", "json", "enum", "url")


@dataclass(frozen=True)
class FieldSpec:
    """One field definition, placed in the tree under its last path segment (`key`)."""

    name: str
    key: str
    field_type: str
    required: bool
    description: str = ""
    enum_options: tuple[str, ...] = ()
    regex: str | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class ObjectSpec:
    """A JSON object of the payload: children by key, in plan order. `own` is a field named like the
    object itself (a `json` field `properties` beside `properties.screen`): it makes the object required
    when it is, and a `json` one leaves the object open to keys the plan does not name."""

    path: str = ""
    children: dict[str, FieldSpec | ObjectSpec] = field(default_factory=dict)
    own: FieldSpec | None = None

    @property
    def required(self) -> bool:
        return (self.own is not None and self.own.required) or any(c.required for c in self.children.values())

    @property
    def open(self) -> bool:
        return self.own is not None and self.own.field_type == "json"

    def leaves(self) -> Iterator[FieldSpec]:
        for child in self.children.values():
            if isinstance(child, FieldSpec):
                yield child
            else:
                yield from child.leaves()


@dataclass(frozen=True)
class EventTypeSpec:
    name: str
    description: str
    properties: ObjectSpec


@dataclass(frozen=True)
class EventSpec:
    """`key` is what a payload names the event by: its name, or `type/name` when several event types
    hold an event of that name."""

    key: str
    name: str
    event_type: str
    description: str
    status: str


@dataclass(frozen=True)
class PlanSnapshot:
    project_slug: str
    project_name: str
    branch: str
    event_types: tuple[EventTypeSpec, ...]
    events: tuple[EventSpec, ...]

    @property
    def plan_hash(self) -> str:
        """A digest of everything the generated code depends on (not of timestamps or ids)."""
        return hashlib.sha256(json.dumps(self._canonical(), sort_keys=True).encode()).hexdigest()[:16]

    def type_of(self, event: EventSpec) -> EventTypeSpec:
        return self._types[event.event_type]

    @property
    def _types(self) -> dict[str, EventTypeSpec]:
        return {t.name: t for t in self.event_types}

    def _canonical(self) -> dict[str, Any]:
        return {"types": [[t.name, t.description, _tree(t.properties)] for t in self.event_types],
                "events": [[e.key, e.name, e.event_type, e.description, e.status] for e in self.events]}


def read_plan(session: Session, scope: PlanScope) -> PlanSnapshot:
    branch = session.get(Branch, scope.branch_id)
    assert branch is not None  # the scope was resolved from it
    types = list(session.scalars(select(EventType).where(EventType.branch_id == scope.branch_id)
                                 .order_by(EventType.order, EventType.name)))
    fields_by_type: dict[uuid.UUID, list[FieldDefinition]] = defaultdict(list)
    for row in session.scalars(select(FieldDefinition).where(FieldDefinition.branch_id == scope.branch_id)
                               .order_by(FieldDefinition.order, FieldDefinition.name)):
        fields_by_type[row.event_type_id].append(row)
    type_names = {t.id: t.name for t in types}
    rows = list(session.scalars(select(Event).where(Event.branch_id == scope.branch_id,
                                                    Event.status != EventStatus.archived.value)
                                .order_by(Event.name, Event.id)))
    return snapshot(scope.project.slug, scope.project.name, branch.name,
                    [(t.name, t.description, [_field(f) for f in fields_by_type[t.id]]) for t in types],
                    [(type_names[e.event_type_id], e.name, e.description, e.status) for e in rows])


def snapshot(project_slug: str, project_name: str, branch: str,
             types: list[tuple[str, str, list[FieldSpec]]],
             events: list[tuple[str, str, str, str]]) -> PlanSnapshot:
    """Build the snapshot from plain rows: (type name, description, fields) and
    (type name, event name, description, status)."""
    type_specs = tuple(EventTypeSpec(name, description, property_tree(fields)) for name, description, fields in types)
    holders: dict[str, int] = defaultdict(int)
    for _, name, _, _ in events:
        holders[name] += 1
    specs = [EventSpec(name if holders[name] == 1 else f"{type_name}/{name}", name, type_name, description, status)
             for type_name, name, description, status in events]
    return PlanSnapshot(project_slug, project_name, branch, type_specs,
                        tuple(sorted(specs, key=lambda e: e.key)))


def property_tree(fields: list[FieldSpec]) -> ObjectSpec:
    """Dotted names nest (`a.b.c` → a → b → c); a name with an empty segment stays one flat key. Where a
    field and an object share a path, the object wins and the field becomes its `own`."""
    root = ObjectSpec()
    for spec in fields:
        parts = spec.name.split(".")
        if "" in parts:
            parts = [spec.name]
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.children.get(part)
            if not isinstance(child, ObjectSpec):
                child = ObjectSpec(".".join(parts[:depth + 1]), own=child)
                node.children[part] = child
            node = child
        leaf = FieldSpec(spec.name, parts[-1], spec.field_type, spec.required, spec.description,
                         spec.enum_options, spec.regex, spec.minimum, spec.maximum)
        existing = node.children.get(parts[-1])
        if isinstance(existing, ObjectSpec):
            existing.own = leaf
        else:
            node.children[parts[-1]] = leaf
    return root


def _field(row: FieldDefinition) -> FieldSpec:
    return FieldSpec(row.name, row.name, row.field_type, row.is_required, row.description,
                     tuple(row.enum_options or ()), row.contract_regex, row.contract_min_value,
                     row.contract_max_value)


def _tree(node: ObjectSpec) -> list[Any]:
    own = None if node.own is None else _leaf(node.own)
    return [own, [[key, _tree(child) if isinstance(child, ObjectSpec) else _leaf(child)]
                  for key, child in node.children.items()]]


def _leaf(spec: FieldSpec) -> list[Any]:
    return [spec.name, spec.field_type, spec.required, spec.description, list(spec.enum_options), spec.regex,
            _number(spec.minimum), _number(spec.maximum)]


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)  # 0 and 0.0 are one bound
