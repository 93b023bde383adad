"""Type-specific rules of field definitions and meta fields: enum options and data contracts.

Pure functions over the field's final state (after a create or a partial update is applied)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tripl_core.errors import InvalidInput

MAX_ENUM_OPTIONS = 1000
MAX_ENUM_OPTION_LENGTH = 500
REGEX_TYPES = frozenset({"string", "url"})
RANGE_TYPES = frozenset({"number"})


@dataclass(frozen=True)
class FieldState:
    field_type: str
    enum_options: Sequence[str] | None = None
    contract_required_max_null_rate: float | None = None
    contract_regex: str | None = None
    contract_min_value: float | None = None
    contract_max_value: float | None = None
    contract_max_bad_rate: float = 0.0


def check_enum_options(field_type: str, options: Sequence[str] | None, *, what: str = "field") -> None:
    if field_type == "enum":
        if not options:
            raise InvalidInput(f"An enum {what} needs a non-empty enum_options list")
        if len(options) > MAX_ENUM_OPTIONS:
            raise InvalidInput(f"enum_options holds {len(options)} options; at most {MAX_ENUM_OPTIONS} are allowed")
        seen: set[str] = set()
        for option in options:
            if not option.strip():
                raise InvalidInput("enum_options must not contain empty options")
            if len(option) > MAX_ENUM_OPTION_LENGTH:
                raise InvalidInput(f"Enum option '{option[:40]}…' is longer than {MAX_ENUM_OPTION_LENGTH} characters")
            if option in seen:
                raise InvalidInput(f"Enum option '{option}' is listed twice")
            seen.add(option)
    elif options:
        raise InvalidInput(f"enum_options only apply to enum {what}s; this {what} is {field_type} "
                           "(drop enum_options or change field_type to enum)")


def _check_rate(name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or not 0.0 <= value <= 1.0):
        raise InvalidInput(f"{name} is a share between 0 and 1; {value} given")


def check_field(state: FieldState) -> None:
    """Refuse enum options and contracts that do not fit the field's type or do not make sense."""
    check_enum_options(state.field_type, state.enum_options)
    _check_rate("contract_required_max_null_rate", state.contract_required_max_null_rate)
    _check_rate("contract_max_bad_rate", state.contract_max_bad_rate)
    if state.contract_regex is not None:
        if state.field_type not in REGEX_TYPES:
            raise InvalidInput(f"contract_regex applies to string and url fields; this field is {state.field_type}")
        try:
            re.compile(state.contract_regex)
        except re.error as exc:
            raise InvalidInput(f"contract_regex does not compile: {exc}") from exc
    for name in ("contract_min_value", "contract_max_value"):
        value: float | None = getattr(state, name)
        if value is None:
            continue
        if state.field_type not in RANGE_TYPES:
            raise InvalidInput(f"{name} applies to number fields; this field is {state.field_type}")
        if not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite number")
    if (state.contract_min_value is not None and state.contract_max_value is not None
            and state.contract_min_value > state.contract_max_value):
        raise InvalidInput(f"contract_min_value ({state.contract_min_value}) is greater than contract_max_value "
                           f"({state.contract_max_value})")


BOOLEAN_LITERALS = frozenset({"true", "false"})


def check_meta_field(field_type: str, enum_options: Sequence[str] | None, default_value: str | None,
                     link_template: str | None) -> None:
    check_enum_options(field_type, enum_options, what="meta field")
    if link_template is not None and "${value}" not in link_template:
        raise InvalidInput("link_template must contain ${value}, where the stored value goes "
                           "(e.g. https://jira.example.com/browse/${value})")
    if default_value is None:
        return
    if field_type == "enum" and enum_options and default_value not in enum_options:
        raise InvalidInput(f"default_value '{default_value}' is not one of enum_options")
    if field_type == "boolean" and default_value not in BOOLEAN_LITERALS:
        raise InvalidInput(f"default_value of a boolean meta field is 'true' or 'false'; '{default_value}' given")
    if field_type == "date":
        from datetime import date

        try:
            date.fromisoformat(default_value)
        except ValueError as exc:
            raise InvalidInput(f"default_value of a date meta field is an ISO date (YYYY-MM-DD); "
                               f"'{default_value}' given") from exc
