"""One field's rules applied to one JSON value. Which contracts a field carries and which observed
types fit a declared type are the scans' own decisions (`schema_drift.contracts_of`,
`field_types.compatible`); this module only applies them to a single value instead of a column."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tripl_core.analysis import field_types
from tripl_core.analysis.schema_drift import ENUM, RANGE, REGEX, DeclaredField, contracts_of
from tripl_core.codegen.plan_reader import FieldSpec

MISSING_FIELD, UNKNOWN_FIELD, UNKNOWN_EVENT = "missing_field", "unknown_field", "unknown_event"
WRONG_TYPE = "wrong_type"
VIOLATION_OF_CONTRACT = {REGEX: "regex_violation", RANGE: "range_violation", ENUM: "enum_violation"}


@dataclass(frozen=True)
class Violation:
    field: str | None
    kind: str
    message: str


ValueCheck = Callable[[Any], Violation | None]


def json_family(value: Any) -> str:
    """The observed type of a JSON value, in the words of `field_types`."""
    if isinstance(value, bool):
        return field_types.BOOLEAN
    if isinstance(value, int | float):
        return field_types.NUMBER
    if isinstance(value, str):
        return field_types.STRING
    return field_types.JSON


def declared(spec: FieldSpec) -> DeclaredField:
    return DeclaredField(spec.name, spec.field_type, spec.required, spec.enum_options, None, spec.regex,
                         spec.minimum, spec.maximum)


def value_check(spec: FieldSpec) -> ValueCheck:
    """A function judging one non-null value of the field: its type, then each contract it carries."""
    decl = declared(spec)
    accepted = frozenset(family for family in (field_types.STRING, field_types.NUMBER, field_types.BOOLEAN,
                                               field_types.JSON)
                         if field_types.compatible(decl.field_type, family, from_json_text=False))
    contracts = contracts_of(decl)
    pattern = re.compile(decl.regex) if REGEX in contracts and decl.regex else None
    options = frozenset(decl.enum_options) if ENUM in contracts else None
    ranged = RANGE in contracts
    name = spec.name

    def check(value: Any) -> Violation | None:
        family = json_family(value)
        if family not in accepted or (family == field_types.NUMBER and not math.isfinite(value)):
            return Violation(name, WRONG_TYPE, f"{name}: expected {decl.field_type}, got {family} {_show(value)}")
        if pattern is not None and pattern.search(value) is None:
            return Violation(name, VIOLATION_OF_CONTRACT[REGEX], f"{name}: {_show(value)} does not match "
                             f"/{decl.regex}/")
        if options is not None and value not in options:
            return Violation(name, VIOLATION_OF_CONTRACT[ENUM], f"{name}: {_show(value)} is not one of "
                             f"{sorted(options)}")
        if ranged and ((decl.minimum is not None and value < decl.minimum)
                       or (decl.maximum is not None and value > decl.maximum)):
            return Violation(name, VIOLATION_OF_CONTRACT[RANGE], f"{name}: {value} is outside "
                             f"[{_bound(decl.minimum, '-inf')}, {_bound(decl.maximum, 'inf')}]")
        return None

    return check


def _bound(value: float | None, none: str) -> str:
    return none if value is None else f"{value:g}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
