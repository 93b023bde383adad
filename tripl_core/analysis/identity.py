"""Identity planning (SEMANTICS §2): from warehouse aggregates to the events, fields, values and variable
contexts a catalog scan writes. Pure: plain data in, plain data out.

The warehouse answers two kinds of aggregates: per-column (and per-JSON-path) distinct counts, and rows
grouped by the identity parts (the `event_name_format` placeholders, or the low-cardinality columns) and
the fields event-group rules test, each with per-field present counts, distinct counts and capped
distinct values. This module decides low/high, renders identities, applies group rules, merges grouped
rows into one observed event per identity, and derives field values and variable contexts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tripl_core.analysis import field_types

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SAMPLE_VALUES = 20  # values kept for a high-cardinality context
IDENTITY_SEPARATOR = ":"
MAX_IDENTITY = 500  # Event.name / source_name length
_VARIABLE_CHARS = re.compile(r"[^a-z0-9_]+")


class Cardinality(StrEnum):
    low = "low"
    high = "high"


@dataclass(frozen=True)
class Condition:
    field: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class GroupRule:
    """Rows whose values match the conditions (all, or any) are renamed to `name`."""

    name: str
    match_all: bool
    conditions: tuple[Condition, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> GroupRule:
        conditions = tuple(Condition(str(c["field"]), re.compile(str(c["pattern"])))
                           for c in raw.get("conditions", []))
        return cls(str(raw["name"]), raw.get("condition_logic", "all") != "any", conditions)

    def matches(self, keys: Mapping[str, str | None]) -> bool:
        hits = (c.pattern.search(keys.get(c.field) or "") is not None for c in self.conditions)
        return all(hits) if self.match_all else any(hits)


@dataclass(frozen=True)
class IdentitySpec:
    """The parts of a scan config identity planning reads."""

    event_name_format: str | None = None
    json_value_paths: frozenset[str] = frozenset()
    cardinality_threshold: int = 100
    group_rules: tuple[GroupRule, ...] = ()

    @property
    def placeholders(self) -> list[str]:
        return placeholders(self.event_name_format or "")

    def rule_fields(self) -> list[str]:
        return _unique(c.field for rule in self.group_rules for c in rule.conditions)


@dataclass(frozen=True)
class FieldSource:
    """A field a scan reads: a column or a JSON path (its label is the plan field's name)."""

    label: str
    observed_type: str
    distinct: int
    cardinality: Cardinality
    is_json_path: bool
    variable: bool  # the field value is `${variable}`, not a literal


@dataclass(frozen=True)
class FieldAggregate:
    present: int
    distinct: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class GroupedRow:
    """One row of the grouped catalog query: the values of the grouping keys (labels → text)."""

    event_type: str
    keys: Mapping[str, str | None]
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    fields: Mapping[str, FieldAggregate]


@dataclass
class ObservedValues:
    present: int = 0
    distinct: int = 0
    values: set[str] = field(default_factory=set)


@dataclass
class ObservedEvent:
    event_type: str
    identity: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    fields: dict[str, ObservedValues]
    keys: Mapping[str, str | None]  # the keys of its first grouped row (to fetch sample rows)


@dataclass(frozen=True)
class ContextPlan:
    """Where a variable was seen: on which identity and field, low or high, how often, which values."""

    event_type: str
    identity: str
    field_name: str
    source: str
    cardinality: Cardinality
    observed_count: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class IdentityPlan:
    events: list[ObservedEvent]
    skipped_rows: int  # rows whose identity placeholders were all empty


def placeholders(event_name_format: str) -> list[str]:
    return [name.strip() for name in PLACEHOLDER.findall(event_name_format)]


def classify(distinct: int, threshold: int) -> Cardinality:
    return Cardinality.low if distinct <= threshold else Cardinality.high


def field_sources(columns: Mapping[str, str], json_paths: Mapping[str, str], distinct: Mapping[str, int],
                  spec: IdentitySpec, exclude: Iterable[str] = ()) -> list[FieldSource]:
    """Fields from the base query's columns (label → observed type family) and the JSON paths found
    inside its JSON columns. Excluded: `exclude` (time and type columns), the JSON columns themselves,
    and the columns or paths the format renders identities from. High-cardinality columns and JSON paths
    outside `json_value_paths` are variables."""
    skip = set(exclude) | set(spec.placeholders)
    sources = []
    for label, family in columns.items():
        if label in skip or family == field_types.JSON:
            continue
        cardinality = classify(distinct.get(label, 0), spec.cardinality_threshold)
        sources.append(FieldSource(label, family, distinct.get(label, 0), cardinality, False,
                                   cardinality is Cardinality.high))
    for label, family in json_paths.items():
        if label in skip:
            continue
        cardinality = classify(distinct.get(label, 0), spec.cardinality_threshold)
        literal = label in spec.json_value_paths
        sources.append(FieldSource(label, family, distinct.get(label, 0), cardinality, True,
                                   not literal or cardinality is Cardinality.high))
    return sources


def identity_parts(spec: IdentitySpec, sources: Sequence[FieldSource]) -> list[str]:
    """The labels identities are rendered from: the format's placeholders, or else every low-cardinality
    literal field (columns and `json_value_paths`), in order."""
    if spec.event_name_format:
        return spec.placeholders
    return [s.label for s in sources if s.cardinality is Cardinality.low and not s.variable]


def grouping_keys(spec: IdentitySpec, sources: Sequence[FieldSource]) -> list[str]:
    """What the grouped catalog query groups by (besides the event type)."""
    return _unique([*identity_parts(spec, sources), *spec.rule_fields()])


def fixed_grouping_keys(spec: IdentitySpec) -> list[str] | None:
    """The grouping keys when they do not depend on any count (an `event_name_format` names them), so the
    grouped query can run before cardinalities are known; None when they are the low-cardinality fields."""
    return grouping_keys(spec, []) if spec.event_name_format else None


def render(spec: IdentitySpec, parts: Sequence[str], keys: Mapping[str, str | None]) -> str | None:
    """The identity of a grouped row, None when all its parts are empty. A matching group rule renames it."""
    if all(not keys.get(part) for part in parts):
        return None
    for rule in spec.group_rules:
        if rule.matches(keys):
            return rule.name
    if spec.event_name_format:
        return PLACEHOLDER.sub(lambda m: keys.get(m.group(1).strip()) or "", spec.event_name_format)
    return IDENTITY_SEPARATOR.join(keys.get(part) or "" for part in parts)


def plan_identities(rows: Iterable[GroupedRow], spec: IdentitySpec,
                    sources: Sequence[FieldSource]) -> IdentityPlan:
    """Grouped rows merged into one observed event per (event type, identity), heaviest first."""
    parts = identity_parts(spec, sources)
    low = {s.label for s in sources if s.cardinality is Cardinality.low}
    merged: dict[tuple[str, str], ObservedEvent] = {}
    skipped = 0
    for row in rows:
        identity = render(spec, parts, row.keys)
        if identity is None or len(identity) > MAX_IDENTITY:
            skipped += row.count
            continue
        event = merged.get((row.event_type, identity))
        if event is None:
            event = merged[(row.event_type, identity)] = ObservedEvent(
                row.event_type, identity, 0, row.first_seen, row.last_seen, {}, dict(row.keys))
        _merge(event, row, low)
    events = sorted(merged.values(), key=lambda e: (-e.count, e.event_type, e.identity))
    return IdentityPlan(events, skipped)


def _merge(event: ObservedEvent, row: GroupedRow, low: set[str]) -> None:
    event.count += row.count
    event.first_seen = _earliest(event.first_seen, row.first_seen)
    event.last_seen = _latest(event.last_seen, row.last_seen)
    for label, aggregate in row.fields.items():
        seen = event.fields.setdefault(label, ObservedValues())
        seen.present += aggregate.present
        seen.values.update(aggregate.values)
        if label not in low and len(seen.values) > SAMPLE_VALUES:
            seen.values = set(sorted(seen.values)[:SAMPLE_VALUES])
        seen.distinct = max(seen.distinct, aggregate.distinct, len(seen.values) if label in low else 0)


def field_value(source: FieldSource, seen: ObservedValues | None, variable_name: str | None) -> str | None:
    """What a scan writes into an empty, non-authored value: `${variable}` for variable fields, the one
    value a literal field had on this event, nothing when it had none or several."""
    if seen is None or seen.present == 0:
        return None
    if source.variable:
        return "${" + variable_name + "}" if variable_name else None
    if len(seen.values) == 1:
        return next(iter(seen.values))
    return None


def contexts(events: Sequence[ObservedEvent], sources: Sequence[FieldSource]) -> list[ContextPlan]:
    """A context for every variable field on every event it was present on."""
    out = []
    for event in events:
        for source in sources:
            seen = event.fields.get(source.label)
            if not source.variable or seen is None or seen.present == 0:
                continue
            values = sorted(seen.values)
            if source.cardinality is Cardinality.high:
                values = values[:SAMPLE_VALUES]
            out.append(ContextPlan(event.event_type, event.identity, source.label, source.label,
                                   source.cardinality, seen.present, tuple(values)))
    return out


def variable_name(source: str, taken: set[str]) -> str:
    """A `^[a-z][a-z0-9_]*$` name for a variable bound to `source`: its last path part, or the whole path
    when that is taken, numbered when both are."""
    leaf = _sanitise(source.rsplit(".", 1)[-1])
    whole = _sanitise(source)
    for candidate in (leaf, whole):
        if candidate not in taken:
            return candidate
    number = 2
    while f"{whole}_{number}" in taken:
        number += 1
    return f"{whole}_{number}"


def _sanitise(text: str) -> str:
    name = _VARIABLE_CHARS.sub("_", text.lower()).strip("_")[:90] or "value"
    return name if name[0].isalpha() else f"v_{name}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
