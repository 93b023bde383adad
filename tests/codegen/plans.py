"""The two plans the codegen tests generate from: the demo plan and a plan whose names are awkward in
every target language (spaces, dots, leading digits, reserved words, unicode, one event name held by two
types). Each is plain data that builds the same `PlanSnapshot` the API reads from the database, and the
request bodies that write it through the API."""

from __future__ import annotations

from typing import Any

from tripl_core.demo.plan import DEMO_PLAN
from tripl_core.plan.plan_reader import FieldSpec, PlanSnapshot, snapshot

TypeRows = list[tuple[str, str, list[FieldSpec]]]
EventRows = list[tuple[str, str, str, str]]


def demo_snapshot(slug: str = "demo", name: str = "Demo shop") -> PlanSnapshot:
    types: TypeRows = [(t.name, t.description, [FieldSpec(f.name, f.name, f.field_type, f.is_required, f.description,
                                                            tuple(f.enum_options or ())) for f in t.fields])
                       for t in DEMO_PLAN.event_types]
    events: EventRows = [(e.event_type, e.name, e.description, e.status) for e in DEMO_PLAN.events]
    return snapshot(slug, name, "main", types, events)


def _f(name: str, field_type: str, required: bool = False, enum: tuple[str, ...] = (), *, regex: str | None = None,
       minimum: float | None = None, maximum: float | None = None, description: str = "") -> FieldSpec:
    return FieldSpec(name, name, field_type, required, description, enum, regex, minimum, maximum)


AWKWARD_TYPES: TypeRows = [
    ("screen view", "Types with spaces */ and comment closers", [
        _f("user id", "string", True, regex=r"^u[0-9]+$", description="line one\nline two */ \"quoted\""),
        _f("properties.ab.variant", "enum", False, ("control", "treatment arm", "3", "None", "ü")),
        _f("properties.load ms", "number", False, minimum=0, maximum=60000),
        _f("1st_place", "boolean", True),
        _f("class", "string"),
        _f("type", "url"),
    ]),
    ("3d.model", "Leading digit and a dot", [
        _f("func", "number", True),
        _f("def", "json"),
        _f("string", "string"),
        _f("interface", "enum", True, ("import", "export", "default")),
        _f("ключ", "string"),
        _f("payload", "json"),
        _f("payload.kind", "enum", False, ("a", "b")),
    ]),
    ("class", "A reserved word everywhere", [
        _f("None", "boolean", True),
        _f("return", "string"),
        _f("Ärger 購入", "enum", False, ("größe", "購入", "x y")),
    ]),
]
AWKWARD_EVENTS: EventRows = [
    ("screen view", "sign up", "Spaces in the name", "draft"),
    ("screen view", "2fa_enabled", "Leading digit", "live"),
    ("screen view", "import", "", "live"),
    ("3d.model", "ПОКУПКА", "Cyrillic", "live"),
    ("3d.model", "model.rotated", "", "live"),
    ("class", "class", "Same name in two types", "live"),
    ("3d.model", "class", "Same name in two types", "live"),
    ("class", "delete", "", "live"),
]


def awkward_snapshot(slug: str = "awkward", name: str = "Awkward") -> PlanSnapshot:
    return snapshot(slug, name, "main", AWKWARD_TYPES, AWKWARD_EVENTS)


def awkward_type_bodies() -> list[dict[str, Any]]:
    """`POST …/event-types` bodies writing the awkward types with their fields, in order."""
    return [{"name": name, "description": description, "field_definitions": [
        {"name": f.name, "display_name": f.name, "field_type": f.field_type, "is_required": f.required,
         "description": f.description, **({"enum_options": list(f.enum_options)} if f.enum_options else {}),
         **({"contract_regex": f.regex} if f.regex else {}),
         **({"contract_min_value": f.minimum} if f.minimum is not None else {}),
         **({"contract_max_value": f.maximum} if f.maximum is not None else {})} for f in fields]}
        for name, description, fields in AWKWARD_TYPES]
