"""A scan config checked against its data source before it is saved: the read-only guard, the rules
between fields, and every column it names looked up in the base query's result (a `LIMIT 0` read).

Every problem is reported at once, each naming its field, as one 422."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tripl_core.errors import InvalidInput
from tripl_core.scans.schemas import ScanSettings
from tripl_core.warehouse import (
    UnsafeQuery,
    WarehouseConfig,
    WarehouseError,
    check_read_only,
    create_warehouse,
    dialect_for,
)

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Fields whose value is a column or a `json_column.path` of the base query's result.
COLUMN_FIELDS = ("event_type_column", "time_column", "app_version_column")
REF_LIST_FIELDS = ("metric_breakdown_columns", "distribution_drift_fields")


@dataclass
class Problems:
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, loc: str | tuple[str | int, ...], message: str) -> None:
        path = (loc,) if isinstance(loc, str) else loc
        self.errors.append({"loc": ["body", *path], "message": message, "type": "value_error"})

    def raise_any(self) -> None:
        if not self.errors:
            return
        shown = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['message']}" for e in self.errors[:5])
        more = f"; and {len(self.errors) - 5} more" if len(self.errors) > 5 else ""
        raise InvalidInput(f"Invalid scan config — {shown}{more}", details=self.errors)


def check_rules(settings: ScanSettings, db_type: str, problems: Problems) -> None:
    """What can be checked without the warehouse."""
    if (settings.event_type_id is None) == (settings.event_type_column is None):
        problems.add("event_type_id", "give exactly one of event_type_id (every row is of that type) and "
                     "event_type_column (each value is a type)")
    if settings.interval is not None and settings.time_column is None:
        problems.add("interval", "an interval needs time_column: collection windows are read on it")
    if settings.scan_lookback_hours is not None and settings.time_column is None:
        problems.add("scan_lookback_hours", "scan_lookback_hours needs time_column: the window is read on it")
    if settings.replay_chunk_interval is not None and settings.interval is not None and \
            settings.replay_chunk_interval.seconds < settings.interval.seconds:
        problems.add("replay_chunk_interval", f"must be at least the interval ({settings.interval.value})")
    if settings.event_name_format is not None:
        _check_format_syntax(settings.event_name_format, problems)
    for index, path in enumerate(settings.json_value_paths):
        if "." not in path.strip(".") or "" in path.split("."):
            problems.add(("json_value_paths", index), f"'{path}' is not a JSON path (json_column.key[.key…])")
    try:
        check_read_only(settings.base_query, dialect_for(db_type).guard_dialect)
    except UnsafeQuery as refused:
        problems.add("base_query", f"refused: {refused.message}")


def result_columns(config: WarehouseConfig, base_query: str) -> list[str]:
    """The base query's column names, read with `LIMIT 0` through the warehouse adapter."""
    warehouse = create_warehouse(config)
    try:
        return [column.name for column in warehouse.sample(base_query, 0).columns]
    finally:
        warehouse.close()


def check_columns(settings: ScanSettings, columns: list[str], problems: Problems) -> None:
    known = set(columns)
    listing = ", ".join(columns) or "no columns"

    def check(loc: str | tuple[str | int, ...], ref: str, what: str) -> None:
        if not _names_a_column(ref, known):
            problems.add(loc, f"{what} '{ref}' is not a column of the base query's result ({listing})")

    for name in COLUMN_FIELDS:
        value = getattr(settings, name)
        if value is not None and value not in known:
            problems.add(name, f"'{value}' is not a column of the base query's result ({listing})")
    for name in REF_LIST_FIELDS:
        for index, ref in enumerate(getattr(settings, name)):
            check((name, index), ref, "column or JSON path")
    for index, path in enumerate(settings.json_value_paths):
        check(("json_value_paths", index), path, "JSON path")
    for rule_index, rule in enumerate(settings.event_group_rules):
        for index, condition in enumerate(rule.conditions):
            check(("event_group_rules", rule_index, "conditions", index, "field"), condition.field, "field")
    for placeholder in placeholders(settings.event_name_format or ""):
        check("event_name_format", placeholder, "placeholder")


def placeholders(event_name_format: str) -> list[str]:
    """`{category}:{properties.screen}` → ["category", "properties.screen"]."""
    return [name.strip() for name in PLACEHOLDER.findall(event_name_format)]


def probe_failure(error: WarehouseError, problems: Problems) -> None:
    problems.add("base_query", f"could not be read on the data source: {error.message}")


def _names_a_column(ref: str, known: Iterable[str]) -> bool:
    columns = set(known)
    return ref in columns or ("." in ref and ref.split(".", 1)[0] in columns and not ref.endswith("."))


def _check_format_syntax(event_name_format: str, problems: Problems) -> None:
    names = placeholders(event_name_format)
    leftover = PLACEHOLDER.sub("", event_name_format)
    if "{" in leftover or "}" in leftover:
        problems.add("event_name_format", "unbalanced braces; placeholders look like {column} or {json_column.path}")
    elif not names:
        problems.add("event_name_format", "needs at least one {column} or {json_column.path} placeholder")
    elif any(not name for name in names):
        problems.add("event_name_format", "an empty {} placeholder; name a column or json_column.path")

