"""Values crossing the ClickHouse boundary: parameters out, JSONCompact cells back in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tripl_core.warehouse.base import Param, ParamKind

_WRAPPERS = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")


def param_value(param: Param) -> Any:
    """A parameter as ClickHouse reads it for `{name:Type}`; timestamps as UTC text with microseconds."""
    if param.kind is ParamKind.TIMESTAMP:
        moment: datetime = param.value
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return param.value


def chdb_param_value(param: Param) -> Any:
    """chDB reads parameter values as text; arrays as ClickHouse array literals: ['a', 'b']."""
    if param.kind is ParamKind.STRING_ARRAY:
        return "[" + ", ".join(_quoted(str(item)) for item in param.value) + "]"
    return param_value(param)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def base_type(type_name: str) -> str:
    """`Nullable(LowCardinality(String))` → `String`."""
    while match := _WRAPPERS.match(type_name):
        type_name = match.group(1)
    return type_name


def from_json_cell(value: Any, type_name: str) -> Any:
    """A JSONCompact cell as a Python value (the session prints times in UTC)."""
    if value is None:
        return None
    kind = base_type(type_name)
    if kind.startswith("DateTime"):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if kind in ("Date", "Date32"):
        return date.fromisoformat(value)
    if kind.startswith("Decimal"):
        return Decimal(str(value))
    return value
