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
from tripl_core.plan.plan_reader import FieldSpec

MISSING_FIELD, UNKNOWN_FIELD, UNKNOWN_EVENT = "missing_field", "unknown_field", "unknown_event"
WRONG_TYPE = "wrong_type"
VIOLATION_OF_CONTRACT = {REGEX: "regex_violation", RANGE: "range_violation", ENUM: "enum_violation"}


@dataclass(frozen=True)
class Violation:
    field: str | None
    kind: str
    message: str


ValueCheck = Callable[[Any], Violation | None]


@dataclass(frozen=True)
class LeafRule:
    """`plain`: the value types that need no further look (a contract-free field's own types, floats
    aside: they may be NaN); anything else goes through `check`."""

    plain: frozenset[type]
    check: ValueCheck


_FAMILY_OF_TYPE: dict[type, str] = {bool: field_types.BOOLEAN, int: field_types.NUMBER, float: field_types.NUMBER,
                                    str: field_types.STRING, dict: field_types.JSON, list: field_types.JSON}
FAMILIES = (field_types.STRING, field_types.NUMBER, field_types.BOOLEAN, field_types.JSON)


def json_family(value: Any) -> str:
    """The observed type of a JSON value (as `json.loads` builds it), in the words of `field_types`."""
    return _FAMILY_OF_TYPE.get(type(value), field_types.JSON)


def declared(spec: FieldSpec) -> DeclaredField:
    return DeclaredField(spec.name, spec.field_type, spec.required, spec.enum_options, None, spec.regex,
                         spec.minimum, spec.maximum)


def leaf_rule(spec: FieldSpec) -> LeafRule:
    check = value_check(spec)
    contracts = contracts_of(declared(spec))
    accepted = _accepted_types(spec.field_type)
    return LeafRule(frozenset() if contracts else accepted - {float}, check)


def _accepted_types(field_type: str) -> frozenset[type]:
    families = {f for f in FAMILIES if field_types.compatible(field_type, f, from_json_text=False)}
    return frozenset(t for t, family in _FAMILY_OF_TYPE.items() if family in families)


def value_check(spec: FieldSpec) -> ValueCheck:
    """A function judging one non-null value of the field: its type, then each contract it carries."""
    decl = declared(spec)
    accepted_types = _accepted_types(decl.field_type)
    contracts = contracts_of(decl)
    pattern = re.compile(decl.regex) if REGEX in contracts and decl.regex else None
    options = frozenset(decl.enum_options) if ENUM in contracts else None
    ranged = RANGE in contracts
    name = spec.name

    def check(value: Any) -> Violation | None:
        if type(value) not in accepted_types or (type(value) is float and not math.isfinite(value)):
            return Violation(name, WRONG_TYPE, f"{name}: expected {decl.field_type}, got {json_family(value)} "
                             f"{_show(value)}")
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
