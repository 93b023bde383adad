"""Python: a `TypedDict` per event type (functional form, so any property name is a key) with
`Required`/`NotRequired`, enums as `Literal` unions, and `track` overloaded over `Literal` event names."""

from __future__ import annotations

from tripl_core.codegen.header import comment_text, header
from tripl_core.codegen.identifiers import PYTHON_RESERVED, Namespace, pascal
from tripl_core.plan.plan_reader import FieldSpec, ObjectSpec, PlanSnapshot

_LEAF_TYPES = {"string": "str", "url": "str", "number": "float", "boolean": "bool",
               "json": "dict[str, object] | list[object]"}
IMPORTS = ["from collections.abc import Callable, Mapping",
           "from typing import Literal, NotRequired, Required, TypedDict, overload"]


def generate(plan: PlanSnapshot) -> str:
    names = Namespace(PYTHON_RESERVED, fallback="T")
    names.reserve("EventName", "Sender", "track", "Callable", "Mapping")
    body: list[str] = []
    roots: dict[str, str] = {}
    for spec in plan.event_types:
        roots[spec.name] = _typed_dict(spec.properties, pascal(spec.name) + "Properties", names, body,
                                       spec.description, kind="event type", original=spec.name)
    union = ", ".join(repr(e.key) for e in plan.events)
    body += [f"EventName = Literal[{union}]" if union else "EventName = Literal[None]",
             "# Whatever delivers events: called with the event's name and its properties.",
             "Sender = Callable[[str, Mapping[str, object]], None]", "", ""]
    overloaded = len(plan.events) > 1
    for event in plan.events:
        if event.description:
            body.append(f"# {comment_text(event.description)}")
        if overloaded:
            body.append("@overload")
        signature = (f"def track(send: Sender, event: Literal[{event.key!r}], "
                     f"properties: {roots[event.event_type]}) -> None:")
        body += [f"{signature} ...", "", ""] if overloaded else [signature, "    send(event, properties)"]
    if overloaded:
        body += ["def track(send: Sender, event: str, properties: Mapping[str, object]) -> None:",
                 "    send(event, properties)"]
    elif not plan.events:
        body += ["def track(send: Sender, event: None, properties: Mapping[str, object]) -> None:",
                 '    raise ValueError("the plan has no events")']
    lines = [*header(plan, "#", "python", names), '"""Typed tracking calls for the plan (Python 3.11+)."""', "",
             *IMPORTS, "", "", *body]
    return "\n".join(lines).rstrip("\n") + "\n"


def _typed_dict(node: ObjectSpec, wanted: str, names: Namespace, out: list[str], description: str, *,
                kind: str, original: str) -> str:
    """Nested objects first: the functional form evaluates its value types when the module runs."""
    entries: list[str] = []
    for key, child in node.children.items():
        if isinstance(child, FieldSpec):
            value = _leaf_type(child)
        else:
            value = _typed_dict(child, wanted + pascal(key), names, out,
                                child.own.description if child.own else "", kind="object", original=child.path)
        wrapper = "Required" if child.required else "NotRequired"
        entries.append(f"    {key!r}: {wrapper}[{value}],")
    name = names.claim(wanted, kind=kind, original=original)
    if description:
        out.append(f"# {comment_text(description)}")
    if entries:
        out += [f"{name} = TypedDict({name!r}, {{", *entries, "})", ""]
    else:
        out += [f"{name} = TypedDict({name!r}, {{}})", ""]
    return name


def _leaf_type(spec: FieldSpec) -> str:
    if spec.field_type == "enum" and spec.enum_options:
        return "Literal[" + ", ".join(repr(option) for option in spec.enum_options) + "]"
    return _LEAF_TYPES.get(spec.field_type, "str")
