"""Observed field types: from a warehouse column type, or from the values found at a JSON path, and
whether an observed type agrees with a declared plan field type."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

STRING, NUMBER, BOOLEAN, JSON = "string", "number", "boolean", "json"
_NUMERIC_SQL = re.compile(r"int|float|double|decimal|numeric|real|bigint|smallint|serial|number")
_NUMBER_TEXT = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
# Declared plan types whose values are text; they hold whatever a JSON value reads as.
_TEXT_TYPES = frozenset({"string", "enum", "url"})


def sql_type_family(sql_type: str) -> str:
    """`Nullable(Int64)` → number, `boolean`/`Bool` → boolean, JSON/object types → json, else string."""
    lowered = sql_type.lower()
    if "json" in lowered or lowered.startswith(("map(", "tuple(", "object")):
        return JSON
    if lowered in ("bool", "boolean") or "(bool)" in lowered:
        return BOOLEAN
    if _NUMERIC_SQL.search(lowered) and "interval" not in lowered and "point" not in lowered:
        return NUMBER
    return STRING


def value_family(values: Iterable[str]) -> str | None:
    """The type the (string) values read at a JSON path share: number, boolean, json or string; None
    when there are none. Mixed values read as string."""
    seen = list(values)
    if not seen:
        return None
    if all(_is_number(value) for value in seen):
        return NUMBER
    if all(value in ("true", "false") for value in seen):
        return BOOLEAN
    if all(value.startswith(("{", "[")) for value in seen):
        return JSON
    return STRING


def compatible(declared: str, observed: str, *, from_json_text: bool) -> bool:
    """Does `observed` fit a field declared `declared`? Text types hold text; from JSON text, numbers and
    booleans read as text as well (a `"42"` and a `42` look alike there)."""
    if declared in _TEXT_TYPES:
        return observed == STRING or (from_json_text and observed in (NUMBER, BOOLEAN))
    return declared == observed


def new_field_type(observed: str) -> str:
    """The plan field type a scan gives a field it creates."""
    return observed if observed in (STRING, NUMBER, BOOLEAN, JSON) else STRING


def _is_number(value: str) -> bool:
    if not _NUMBER_TEXT.match(value.strip()):
        return False
    return math.isfinite(float(value))
