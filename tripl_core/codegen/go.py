"""Go: per event type a properties struct (optional fields as pointers, nested objects as structs) with
its own `MarshalJSON` (property names are any text, struct tags cannot hold them all), enums as typed
string constants, options for the optional fields; per event a struct with a constructor taking the
required fields as parameters and options for the rest."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tripl_core.codegen.header import comment_text, header
from tripl_core.codegen.identifiers import GO_RESERVED, Namespace, camel, pascal
from tripl_core.plan.plan_reader import FieldSpec, ObjectSpec, PlanSnapshot

_LEAF_TYPES = {"string": "string", "url": "string", "number": "float64", "boolean": "bool", "json": "any"}
DEFAULT_PACKAGE = "tracking"
T = "\t"


@dataclass(frozen=True)
class _Leaf:
    spec: FieldSpec
    path: tuple[tuple[str, bool], ...]  # Go field names from the root struct, each with "is a pointer"
    go_type: str


class _Writer:
    def __init__(self, plan: PlanSnapshot) -> None:
        self.plan = plan
        self.names = Namespace(GO_RESERVED, fallback="X")
        self.names.reserve("Event", "Track", "Send")
        self.out: list[str] = []
        self.pointer_types: dict[str, str] = {}  # `p.A.B` → the struct type behind that pointer field

    def event_type(self, name: str, description: str, root: ObjectSpec) -> tuple[str, str, str, list[_Leaf]]:
        struct = self.names.claim(pascal(name) + "Props", kind="event type", original=name)
        option = self.names.claim(struct.removesuffix("Props") + "Option")
        leaves: list[_Leaf] = []
        self.pointer_types = {}
        self._struct(root, struct, description, (), leaves)
        self.out += [f"// {option} sets an optional property of {struct}.", f"type {option} func(*{struct})", ""]
        for leaf in leaves:
            if not leaf.spec.required:
                self._option(struct, option, leaf)
        return struct, option, self._builder(struct, option, leaves), leaves

    def _struct(self, node: ObjectSpec, struct: str, description: str, path: tuple[tuple[str, bool], ...],
                leaves: list[_Leaf]) -> None:
        fields = Namespace(GO_RESERVED, fallback="X")
        fields.reserve("MarshalJSON")
        members: list[tuple[str, str, str, bool, bool]] = []  # (go name, go type, key, required, is object)
        for key, child in node.children.items():
            go_name = fields.claim(pascal(key))
            if isinstance(child, FieldSpec):
                go_type = self._leaf_type(struct + go_name, child)
                pointer = not child.required and go_type != "any"
                leaves.append(_Leaf(child, (*path, (go_name, pointer)), go_type))
                members.append((go_name, ("*" if pointer else "") + go_type, key, child.required, False))
            else:
                nested = self.names.claim(struct + go_name, kind="object", original=child.path)
                pointer = not child.required
                self.pointer_types["p" + "".join(f".{n}" for n, _ in (*path, (go_name, pointer)))] = nested
                self._struct(child, nested, child.own.description if child.own else "",
                             (*path, (go_name, pointer)), leaves)
                members.append((go_name, ("*" if pointer else "") + nested, key, child.required, True))
        if description:
            self.out.append(f"// {struct}: {comment_text(description)}")
        self.out.append(f"type {struct} struct {{")
        self.out += [f"{T}{go_name} {go_type} // {comment_text(key, 120)}"
                     for go_name, go_type, key, _, _ in members]
        self.out += ["}", ""]
        self.out += ["// MarshalJSON writes the properties under their plan names, leaving out unset ones.",
                     f"func (p {struct}) MarshalJSON() ([]byte, error) {{",
                     f"{T}m := make(map[string]any, {len(members)})"]
        for go_name, _, key, required, _ in members:
            if required:
                self.out.append(f"{T}m[{_str(key)}] = p.{go_name}")
            else:
                self.out += [f"{T}if p.{go_name} != nil {{", f"{T}{T}m[{_str(key)}] = p.{go_name}", f"{T}}}"]
        self.out += [f"{T}return json.Marshal(m)", "}", ""]

    def _leaf_type(self, wanted: str, spec: FieldSpec) -> str:
        if spec.field_type != "enum" or not spec.enum_options:
            return _LEAF_TYPES.get(spec.field_type, "string")
        enum = self.names.claim(wanted, kind="enum", original=spec.name)
        self.out += [f"// {enum} is one of the values the plan allows for {comment_text(spec.name, 120)}.",
                     f"type {enum} string", "", "const ("]
        for option in spec.enum_options:
            constant = self.names.claim(enum + pascal(option), kind="enum value", original=option)
            self.out.append(f"{T}{constant} {enum} = {_str(option)}")
        self.out += [")", ""]
        return enum

    def _option(self, struct: str, option: str, leaf: _Leaf) -> None:
        name = self.names.claim("With" + struct.removesuffix("Props") + "".join(n for n, _ in leaf.path))
        self.out += [f"// {name} sets {comment_text(leaf.spec.name, 120)}.",
                     f"func {name}(v {leaf.go_type}) {option} {{", f"{T}return func(p *{struct}) {{"]
        target = "p"
        for go_name, pointer in leaf.path[:-1]:
            target += f".{go_name}"
            if pointer:
                self.out += [f"{T}{T}if {target} == nil {{", f"{T}{T}{T}{target} = new({self.pointer_types[target]})",
                             f"{T}{T}}}"]
        last, pointer = leaf.path[-1]
        self.out += [f"{T}{T}{target}.{last} = {'&v' if pointer else 'v'}", f"{T}}}", "}", ""]

    def _builder(self, struct: str, option: str, leaves: list[_Leaf]) -> str:
        builder = self.names.claim("new" + struct)
        params = self._params(leaves)
        signature = ", ".join(f"{param} {leaf.go_type}" for leaf, param in params)
        self.out += [f"func {builder}({signature + ', ' if signature else ''}opts []{option}) {struct} {{",
                     f"{T}var p {struct}"]
        for leaf, param in params:
            self.out.append(f"{T}p.{'.'.join(n for n, _ in leaf.path)} = {param}")
        self.out += [f"{T}for _, opt := range opts {{", f"{T}{T}opt(&p)", f"{T}}}", f"{T}return p", "}", ""]
        return builder

    @staticmethod
    def _params(leaves: list[_Leaf]) -> list[tuple[_Leaf, str]]:
        params = Namespace(GO_RESERVED, fallback="x")
        params.reserve("opts", "p", "opt")
        return [(leaf, params.claim(camel(leaf.spec.name))) for leaf in leaves if leaf.spec.required]


def generate(plan: PlanSnapshot, package: str = DEFAULT_PACKAGE) -> str:
    writer = _Writer(plan)
    built: dict[str, tuple[str, str, str, list[_Leaf]]] = {}
    for spec in plan.event_types:
        built[spec.name] = writer.event_type(spec.name, spec.description, spec.properties)
    for event in plan.events:
        struct, option, builder, leaves = built[event.event_type]
        name = writer.names.claim(pascal(event.key) + "Event", kind="event", original=event.key)
        constructor = writer.names.claim("New" + name)
        params = _Writer._params(leaves)
        signature = ", ".join(f"{param} {leaf.go_type}" for leaf, param in params)
        args = ", ".join(param for _, param in params)
        writer.out += [f"// {name} is the event {comment_text(repr(event.key), 120)}"
                       + (f": {comment_text(event.description)}" if event.description else "."),
                       f"type {name} struct {{", f"{T}Properties {struct}", "}", "",
                       f"// {constructor} takes the event's required properties; options set the others.",
                       f"func {constructor}({signature + ', ' if signature else ''}opts ...{option}) {name} {{",
                       f"{T}return {name}{{Properties: {builder}({args + ', ' if args else ''}opts)}}", "}", "",
                       "// EventName is the event's name in the plan.",
                       f"func ({name}) EventName() string {{ return {_str(event.key)} }}", "",
                       "// Payload is what is sent as the event's properties.",
                       f"func (e {name}) Payload() any {{ return e.Properties }}", ""]
    writer.out += ["// Event is any event of the plan.",
                   "type Event interface {", f"{T}EventName() string", f"{T}Payload() any", "}", "",
                   "// Track encodes the event's properties as JSON and hands them to send.",
                   "func Track(send func(event string, properties []byte) error, e Event) error {",
                   f"{T}body, err := json.Marshal(e.Payload())", f"{T}if err != nil {{", f"{T}{T}return err",
                   f"{T}}}", f"{T}return send(e.EventName(), body)", "}"]
    head = header(plan, "//", "go", writer.names)
    return "\n".join([*head, "", f"package {package}", "", 'import "encoding/json"', "", *writer.out]) + "\n"


def _str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON string escapes are Go string escapes
