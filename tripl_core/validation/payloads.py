"""A batch of tracking payloads (`{"event": name, "properties": {…}}`) checked against a plan snapshot.

The plan is compiled once into per-event checkers (SEMANTICS §15): unknown event, unknown or missing
field, wrong type, enum, regex and range, each violation naming its field."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tripl_core.plan.plan_reader import FieldSpec, ObjectSpec, PlanSnapshot
from tripl_core.validation.rules import (
    MISSING_FIELD,
    UNKNOWN_EVENT,
    UNKNOWN_FIELD,
    WRONG_TYPE,
    LeafRule,
    Violation,
    leaf_rule,
)


@dataclass(frozen=True)
class Verdict:
    index: int
    event: str | None
    violations: tuple[Violation, ...]

    @property
    def valid(self) -> bool:
        return not self.violations


class _ObjectCheck:
    __slots__ = ("leaves", "objects", "open", "path", "required")

    def __init__(self, spec: ObjectSpec) -> None:
        self.path = spec.path
        self.leaves: dict[str, LeafRule] = {}
        self.objects: dict[str, _ObjectCheck] = {}
        self.required: list[tuple[str, str]] = []  # (key, field name shown)
        self.open = spec.open
        for key, child in spec.children.items():
            if isinstance(child, FieldSpec):
                self.leaves[key] = leaf_rule(child)
                name = child.name
            else:
                self.objects[key] = _ObjectCheck(child)
                name = child.path
            if child.required:
                self.required.append((key, name))

    def check(self, value: Mapping[str, Any], out: list[Violation]) -> None:
        for key, item in value.items():
            leaf = self.leaves.get(key)
            if leaf is not None:
                if item is not None and type(item) not in leaf.plain:
                    found = leaf.check(item)
                    if found is not None:
                        out.append(found)
                continue
            nested = self.objects.get(key)
            if nested is not None:
                if isinstance(item, dict):
                    nested.check(item, out)
                elif item is not None:
                    out.append(Violation(nested.path, WRONG_TYPE, f"{nested.path}: expected an object, got "
                                         f"{type(item).__name__}"))
            elif not self.open:
                name = f"{self.path}.{key}" if self.path else key
                out.append(Violation(name, UNKNOWN_FIELD, f"{name}: not a field of this event in the plan"))
        for key, name in self.required:
            if value.get(key) is None:
                out.append(Violation(name, MISSING_FIELD, f"{name}: required and missing"))


class PayloadValidator:
    """Built once per plan snapshot; `check` is pure and safe to call from many threads."""

    def __init__(self, plan: PlanSnapshot) -> None:
        by_type = {t.name: _ObjectCheck(t.properties) for t in plan.event_types}
        self._events = {event.key: by_type[event.event_type] for event in plan.events}
        self._qualified: dict[str, list[str]] = {}
        for event in plan.events:
            if event.key != event.name:
                self._qualified.setdefault(event.name, []).append(event.key)

    def check(self, index: int, payload: Any) -> Verdict:
        if not isinstance(payload, dict):
            return Verdict(index, None, (Violation(None, WRONG_TYPE, "a payload is an object with `event` and "
                                                   "`properties`"),))
        if not isinstance(payload.get("event"), str):
            return Verdict(index, None, (Violation("event", WRONG_TYPE, "`event` must be the event's name"),))
        return self.check_event(index, payload.get("event"), payload.get("properties"))

    def check_event(self, index: int, event: Any, properties: Any) -> Verdict:
        if not isinstance(event, str):
            return Verdict(index, None, (Violation("event", WRONG_TYPE, "`event` must be the event's name"),))
        checker = self._events.get(event)
        if checker is None:
            qualified = self._qualified.get(event)
            hint = f"; several event types hold it: name one of {qualified}" if qualified else ""
            return Verdict(index, event, (Violation(None, UNKNOWN_EVENT,
                                                    f"'{event}' is not an event of the plan{hint}"),))
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            return Verdict(index, event, (Violation("properties", WRONG_TYPE, "`properties` must be an object"),))
        out: list[Violation] = []
        checker.check(properties, out)
        return Verdict(index, event, tuple(out))

    def check_all(self, payloads: Iterable[Any]) -> list[Verdict]:
        with without_cycle_collection():
            return [self.check(index, payload) for index, payload in enumerate(payloads)]


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """A batch allocates tens of thousands of small, acyclic verdicts; the cycle collector's full passes
    over the request's large object graph then cost more than the checks (measured: up to 15x the report
    time). Reference counting still frees everything; collection resumes after the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
