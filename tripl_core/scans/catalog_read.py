"""The warehouse half of a catalog scan: every aggregate it needs, read with no app-database transaction
open, into an `Observation` the write half turns into plan rows."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tripl_core.analysis import field_types, identity
from tripl_core.analysis.identity import FieldAggregate, FieldSource, GroupedRow, IdentityPlan, IdentitySpec
from tripl_core.analysis.schema_drift import DeclaredField, Measure, ObservedField, contracts_of
from tripl_core.db.base import utcnow
from tripl_core.errors import DomainError
from tripl_core.observe.observations import Observation
from tripl_core.scans.runs import ScanCancelled
from tripl_core.warehouse import ColumnRef, FieldRef, Interval, JsonRef, RowSample, TimeWindow, Warehouse
from tripl_core.warehouse import catalog_queries as queries

MAX_JSON_PATHS = 200  # per JSON column; keys beyond are not analysed (counted in the summary)
# JSON keys are discovered in the most recent rows (by time_column; else the first rows read), at most
# this many; declared fields' paths are profiled whatever the sample holds. Counts are over every row.
JSON_KEY_SAMPLE_ROWS = 50_000
SHADOW_SAMPLE_ROWS = 5
MAX_SAMPLED_SHADOWS = 20  # identities sampled per run; the rest get their samples on later runs
VOLUME_DAYS = 180  # the longest coverage window


class ScanFailed(DomainError):
    """The scan cannot run as configured; the message says why (a limit, a vanished column)."""


@dataclass(frozen=True)
class ScanInput:
    """The scan config and the plan facts the warehouse half needs, read in one short transaction."""

    scan_config_id: Any
    name: str
    base_query: str
    bound_type: str | None  # the bound event type's name when `event_type_id` is set
    event_type_column: str | None
    time_column: str | None
    spec: IdentitySpec
    lookback_hours: int | None
    row_limit: int | None
    declared: Mapping[str, Sequence[DeclaredField]]  # main-branch fields of existing types, by type name
    known: Mapping[str, set[str]]  # identities (source_name, else name) of main events, by type name
    sampled: set[tuple[str, str]]  # shadow candidates that already hold sample rows





def observe(warehouse: Warehouse, scan: ScanInput, cancel_requested: Callable[[], bool]) -> Observation:
    def step() -> None:
        if cancel_requested():
            raise ScanCancelled("Cancelled")

    window = _window(scan)
    preview = warehouse.preview(scan.base_query, 20, False, window)
    families = _families(preview.columns, preview.rows)
    _require_columns(scan, families)
    step()
    json_paths, ignored = _json_paths(warehouse, scan, families, window)
    step()
    type_ref = ColumnRef(scan.event_type_column) if scan.event_type_column else None
    declared_paths = _declared_json_paths(scan, families, json_paths)
    labels = [*_profiled(scan, families, json_paths), *declared_paths]
    probes = _probes(scan, families)
    limit = _limit(scan)
    cap = scan.spec.cardinality_threshold + 1  # low or high is all a distinct count decides
    fixed_keys = identity.fixed_grouping_keys(scan.spec)
    if fixed_keys is not None:
        # The format names the identity keys: one read of the base query answers the grouped rows, the
        # per-type profile summed from them, and the contract probes.
        keys = fixed_keys
        counted = [label for label in labels if label not in scan.spec.placeholders]
        merged = queries.grouped_profile(
            warehouse, scan.base_query, type_ref, [_ref(k, families) for k in keys], scan.time_column,
            [_ref(label, families) for label in counted], [p for _, _, p in probes], window, limit + 1, cap)
        _check_limit(scan, len(merged.groups), "rows")
        profile = merged.profile
    else:
        profile = queries.type_profile(warehouse, scan.base_query, type_ref,
                                       [_ref(label, families) for label in labels], [p for _, _, p in probes],
                                       window, limit + 1, cap)
        _check_limit(scan, len(profile.types), "event types")
    step()
    for label in declared_paths:  # a declared path the sample missed but some row holds
        if any(t.present.get(label) for t in profile.types):
            json_paths[label] = field_types.STRING
    distinct = {label: max((t.distinct.get(label, 0) for t in profile.types), default=0) for label in labels}
    columns = {name: family for name, family in families.items() if name not in json_paths}
    sources = identity.field_sources(columns, json_paths, distinct, scan.spec,
                                     exclude=[c for c in (scan.time_column, scan.event_type_column) if c])
    if fixed_keys is not None:
        rows = [_merged_row(scan, g, keys, counted, sources) for g in merged.groups]
    else:
        keys = identity.grouping_keys(scan.spec, sources)
        grouped = queries.grouped_rows(
            warehouse, scan.base_query, type_ref, [_ref(k, families) for k in keys], scan.time_column,
            [queries.GroupedField(_ref(s.label, families), _cap(s, scan.spec)) for s in sources], window,
            limit + 1, cap)
        _check_limit(scan, len(grouped), "rows")
        step()
        rows = [_grouped_row(scan, g, keys, sources) for g in grouped]
    sources = _typed_sources(sources, rows)
    plan = identity.plan_identities(rows, scan.spec, sources)
    daily = _daily(warehouse, scan, type_ref, keys, families, sources, window) if scan.time_column else {}
    step()
    samples = _samples(warehouse, scan, type_ref, keys, families, plan, window)
    type_rows = {_type_name(scan, t.event_type): t.rows for t in profile.types if t.rows}
    observed = _observed(scan, profile.types, sources)
    measures: dict[str, dict[tuple[str, str], Measure]] = defaultdict(dict)
    for (type_name, field_name, probe), result in zip(probes, profile.probes, strict=True):
        measures[type_name][(field_name, probe.kind.value)] = Measure(result.bad, result.sample)
    return Observation(window, sources, type_rows, observed, dict(measures), plan, daily, samples,
                       columns_analysed=len(sources), json_paths_ignored=ignored,
                       rows_read=sum(type_rows.values()),
                       json_keys_sampled_rows=min(JSON_KEY_SAMPLE_ROWS, sum(type_rows.values()))
                       if any(family == field_types.JSON for family in families.values()) else 0)


def _window(scan: ScanInput) -> TimeWindow | None:
    if scan.time_column is None or not scan.lookback_hours:
        return None
    now = utcnow()
    return TimeWindow(scan.time_column, now - timedelta(hours=scan.lookback_hours), now)


def _families(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> dict[str, str]:
    """Column name → type family; text columns holding JSON objects in the sample are json."""
    out = {}
    for index, column in enumerate(columns):
        family = field_types.sql_type_family(column.type)
        if family == field_types.STRING and any(_json_object(row[index]) for row in rows):
            family = field_types.JSON
        out[column.name] = family
    return out


def _json_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


def _require_columns(scan: ScanInput, families: Mapping[str, str]) -> None:
    listing = ", ".join(families) or "none"
    named = [("event_type_column", scan.event_type_column), ("time_column", scan.time_column)]
    named += [("event_name_format", placeholder.split(".", 1)[0]) for placeholder in scan.spec.placeholders]
    for setting, column in named:
        if column and column not in families:
            raise ScanFailed(f"Column '{column}' named in {setting} is no longer in the base query's result "
                             f"(columns: {listing})")


def _json_paths(warehouse: Warehouse, scan: ScanInput, families: Mapping[str, str],
                window: TimeWindow | None) -> tuple[dict[str, str], int]:
    """Leaf paths of every JSON column (type family filled in later from their values)."""
    paths: dict[str, str] = {}
    ignored = 0
    for column, family in families.items():
        if family != field_types.JSON or column in (scan.time_column, scan.event_type_column):
            continue
        keys = warehouse.json_keys(scan.base_query, column, window, RowSample(JSON_KEY_SAMPLE_ROWS, scan.time_column))
        ignored += max(0, len(keys) - MAX_JSON_PATHS)
        for key in keys[:MAX_JSON_PATHS]:
            paths[f"{column}.{key.path}"] = field_types.STRING
    return paths, ignored


def _declared_json_paths(scan: ScanInput, families: Mapping[str, str], found: Mapping[str, str]) -> list[str]:
    """Declared fields' JSON paths the key sample did not hold: profiled too, so a field the plan declares
    is counted over every row, not only when the sample happened to hold it."""
    skip = {scan.time_column, scan.event_type_column}
    out: dict[str, None] = {}
    for declared in scan.declared.values():
        for field_def in declared:
            root = field_def.name.partition(".")[0]
            if (field_def.name not in found and field_def.name not in families and root not in skip
                    and _resolvable(field_def.name, families)):
                out[field_def.name] = None
    return list(out)


def _profiled(scan: ScanInput, families: Mapping[str, str], json_paths: Mapping[str, str]) -> list[str]:
    skip = {scan.time_column, scan.event_type_column}
    columns = [name for name, family in families.items() if family != field_types.JSON and name not in skip]
    return columns + list(json_paths)


def _ref(label: str, families: Mapping[str, str]) -> FieldRef:
    return ColumnRef(label) if label in families else JsonRef.parse(label)


def _resolvable(label: str, families: Mapping[str, str]) -> bool:
    if label in families:
        return True
    root, _, rest = label.partition(".")
    return bool(rest) and families.get(root) == field_types.JSON and "" not in rest.split(".")


def _probes(scan: ScanInput, families: Mapping[str, str]) -> list[tuple[str, str, queries.ContractProbe]]:
    """(type name, field name, probe) for every contract of a declared field the warehouse can read."""
    probes = []
    for type_name, declared in scan.declared.items():
        event_type = None if scan.bound_type else type_name
        for field_def in declared:
            if not _resolvable(field_def.name, families):
                continue
            ref = _ref(field_def.name, families)
            for kind in contracts_of(field_def):
                probes.append((type_name, field_def.name, queries.ContractProbe(
                    event_type, ref, queries.ContractKind(kind), pattern=field_def.regex, minimum=field_def.minimum,
                    maximum=field_def.maximum, options=field_def.enum_options)))
    return probes


def _limit(scan: ScanInput) -> int:
    return scan.row_limit if scan.row_limit is not None else 10**9


def _check_limit(scan: ScanInput, got: int, what: str) -> None:
    if scan.row_limit is not None and got > scan.row_limit:
        raise ScanFailed(f"scan_row_limit ({scan.row_limit}) reached: the grouped catalog query returned more "
                         f"than {scan.row_limit} {what}; raise scan_row_limit, set scan_lookback_hours, or narrow "
                         "the base query")


def _cap(source: FieldSource, spec: IdentitySpec) -> int:
    return max(spec.cardinality_threshold, 1) if source.cardinality is identity.Cardinality.low \
        else identity.SAMPLE_VALUES


def _type_name(scan: ScanInput, raw: str | None) -> str:
    return scan.bound_type if scan.bound_type else (raw or "")


def _grouped_row(scan: ScanInput, g: queries.GroupedAggregate, keys: Sequence[str],
                 sources: Sequence[FieldSource]) -> GroupedRow:
    fields = {s.label: FieldAggregate(present, distinct, tuple(values))
              for s, (present, distinct, values) in zip(sources, g.fields, strict=True)}
    return GroupedRow(_type_name(scan, g.event_type), dict(zip(keys, g.keys, strict=True)), g.rows, g.first_seen,
                      g.last_seen, fields)


def _merged_row(scan: ScanInput, g: queries.GroupedAggregate, keys: Sequence[str], counted: Sequence[str],
                sources: Sequence[FieldSource]) -> GroupedRow:
    """A group of the one-pass query as `_grouped_row` reads one of the grouped query: the fields that are
    sources, each with as many of its (sorted) values as a source of its cardinality keeps."""
    by_label = dict(zip(counted, g.fields, strict=True))
    fields = {}
    for s in sources:
        present, distinct, values = by_label[s.label]
        fields[s.label] = FieldAggregate(present, distinct, tuple(values[:_cap(s, scan.spec)]))
    return GroupedRow(_type_name(scan, g.event_type), dict(zip(keys, g.keys, strict=True)), g.rows, g.first_seen,
                      g.last_seen, fields)


def _typed_sources(sources: list[FieldSource], rows: Sequence[GroupedRow]) -> list[FieldSource]:
    """JSON paths get the type family their values share."""
    values: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for label, aggregate in row.fields.items():
            values[label].update(aggregate.values)
    return [dataclasses.replace(s, observed_type=field_types.value_family(values[s.label]) or field_types.STRING)
            if s.is_json_path else s for s in sources]


def _observed(scan: ScanInput, types: Sequence[queries.TypeProfile],
              sources: Sequence[FieldSource]) -> dict[str, dict[str, ObservedField]]:
    kinds = {s.label: s for s in sources}
    out: dict[str, dict[str, ObservedField]] = {}
    for profile in types:
        fields = {}
        for label, present in profile.present.items():
            source = kinds.get(label)
            if source is not None:
                fields[label] = ObservedField(present, source.observed_type, source.is_json_path)
        out[_type_name(scan, profile.event_type)] = fields
    return out


def _daily(warehouse: Warehouse, scan: ScanInput, type_ref: FieldRef | None, keys: Sequence[str],
           families: Mapping[str, str], sources: Sequence[FieldSource],
           window: TimeWindow | None) -> dict[tuple[str, str, date], int]:
    """Rows per (type, identity, UTC day) over the scan window, at most the last VOLUME_DAYS days."""
    assert scan.time_column is not None
    now = utcnow()
    start = now - timedelta(days=VOLUME_DAYS)
    if window is not None:
        start = max(start, window.start)
    groups = ([type_ref] if type_ref is not None else []) + [_ref(k, families) for k in keys]
    parts = identity.identity_parts(scan.spec, sources)
    out: dict[tuple[str, str, date], int] = defaultdict(int)
    for point in warehouse.bucket_counts(scan.base_query, scan.time_column, Interval.DAY_1, start, now, groups):
        raw_type = point.groups[0] if type_ref is not None else None
        key_values = dict(zip(keys, point.groups[1 if type_ref is not None else 0:], strict=True))
        name = identity.render(scan.spec, parts, key_values)
        if name is not None:
            out[(_type_name(scan, raw_type), name, point.bucket.date())] += point.count
    return dict(out)


def _samples(warehouse: Warehouse, scan: ScanInput, type_ref: FieldRef | None, keys: Sequence[str],
             families: Mapping[str, str], plan: IdentityPlan,
             window: TimeWindow | None) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Up to 5 raw rows for each identity a type's plan does not hold (future shadow candidates)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in plan.events:
        known = scan.known.get(event.event_type)
        if not known or event.identity in known or (event.event_type, event.identity) in scan.sampled:
            continue
        if len(out) >= MAX_SAMPLED_SHADOWS:
            break
        equals: list[tuple[FieldRef, str | None]] = [(_ref(k, families), event.keys.get(k)) for k in keys]
        if type_ref is not None:
            equals.append((type_ref, event.event_type))
        rows = queries.sample_matching(warehouse, scan.base_query, equals, window, SHADOW_SAMPLE_ROWS)
        out[(event.event_type, event.identity)] = [_jsonable(row) for row in rows]
    return out


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime | date) else
            value if value is None or isinstance(value, bool | int | float | str) else str(value)
            for key, value in row.items()}
