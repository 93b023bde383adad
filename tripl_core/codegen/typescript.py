"""TypeScript: a union of event names, one interface per event type's properties, enums as literal
unions, and an overloaded `track` with one signature per event (required fields required)."""

from __future__ import annotations

import json

from tripl_core.codegen.header import comment_text, header
from tripl_core.codegen.identifiers import TYPESCRIPT_RESERVED, Namespace, pascal
from tripl_core.plan.plan_reader import FieldSpec, ObjectSpec, PlanSnapshot

_LEAF_TYPES = {"string": "string", "url": "string", "number": "number", "boolean": "boolean",
               "json": "Record<string, unknown> | unknown[]"}
INDENT = "  "


def generate(plan: PlanSnapshot) -> str:
    names = Namespace(TYPESCRIPT_RESERVED, fallback="T")
    names.reserve("EventName", "EventProperties", "TrackingClient", "track")
    interfaces = {t.name: names.claim(pascal(t.name) + "Properties", kind="event type", original=t.name)
                  for t in plan.event_types}
    body: list[str] = []
    union = " | ".join(_str(e.key) for e in plan.events) or "never"
    body += ["/** Every event of the plan. */", f"export type EventName = {union};", ""]
    for spec in plan.event_types:
        if spec.description:
            body.append(f"// {comment_text(spec.description)}")
        body.append(f"export interface {interfaces[spec.name]} {{")
        body += _members(spec.properties, 1)
        body += ["}", ""]
    body.append("/** The properties each event carries. */")
    body.append("export interface EventProperties {")
    body += [f"{INDENT}{_str(e.key)}: {interfaces[e.event_type]};" for e in plan.events]
    body += ["}", ""]
    body += ["/** Whatever delivers events (an analytics SDK, a queue, a test double). */",
             "export interface TrackingClient {",
             f"{INDENT}send(event: EventName, properties: EventProperties[EventName]): void;", "}", ""]
    for event in plan.events:
        if event.description:
            body.append(f"// {comment_text(event.description)}")
        body.append(f"export function track(client: TrackingClient, event: {_str(event.key)}, "
                    f"properties: {interfaces[event.event_type]}): void;")
    body += ["export function track(client: TrackingClient, event: EventName, "
             "properties: EventProperties[EventName]): void {",
             f"{INDENT}client.send(event, properties);", "}"]
    return "\n".join([*header(plan, "//", "typescript", names), "", *body]) + "\n"


def _members(node: ObjectSpec, depth: int) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    if node.open:
        lines.append(f"{pad}[key: string]: unknown;")
    for key, child in node.children.items():
        optional = "" if child.required else "?"
        if isinstance(child, FieldSpec):
            if child.description:
                lines.append(f"{pad}// {comment_text(child.description)}")
            lines.append(f"{pad}{_str(key)}{optional}: {_leaf_type(child)};")
        else:
            lines.append(f"{pad}{_str(key)}{optional}: {{")
            lines += _members(child, depth + 1)
            lines.append(f"{pad}}};")
    return lines


def _leaf_type(spec: FieldSpec) -> str:
    if spec.field_type == "enum" and spec.enum_options:
        return " | ".join(_str(option) for option in spec.enum_options)
    return _LEAF_TYPES.get(spec.field_type, "string")


def _str(text: str) -> str:
    return json.dumps(text)  # ASCII-escaped JSON is a valid JavaScript string literal
