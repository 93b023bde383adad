"""The aggregate queries of a catalog scan, built from a dialect's vocabulary and run on a `Warehouse`.

- `type_profile`: per event type, rows, and per field present (non-null) and distinct counts, plus the
  bad-value counts of field contracts (NULLs, regex, range, enum) with one bad value as a sample.
- `grouped_rows`: rows grouped by the event type and the identity keys, with per-field present and
  distinct counts and a capped array of distinct values; LIMIT `limit`.

Distinct counts are exact up to `distinct_cap` and answered as `distinct_cap` above it (a scan only needs
to know whether a field has at most `cardinality_threshold` values), so no query keeps the full distinct
set of a high-cardinality column.
- `grouped_profile`: both in one pass, for when the identity keys are known before any count (an
  `event_name_format`): the grouped rows with every field's present count and its distinct values up to
  `distinct_cap`, and the contract probes; the per-type profile is summed from the groups (present and
  bad counts add up; a type's distinct values are the union of its groups', exact up to the cap since a
  group holding fewer than the cap returned all of its values).
- `sample_matching`: a few raw rows whose keys equal given values (shadow-event samples).

Every query reads the base query once; only aggregates and bounded samples cross the wire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tripl_core.warehouse.base import Binder, Dialect, FieldRef, ParamKind, SqlQuery, TimeWindow
from tripl_core.warehouse.warehouse import Warehouse, plain_cell, utc_or_none

UNBOUNDED = 2**62  # a distinct cap meaning exact counts


class ContractKind(StrEnum):
    required_null = "required_null"
    regex = "regex"
    range = "range"
    enum = "enum"


@dataclass(frozen=True)
class ContractProbe:
    """One contract of one field of one event type (`event_type` None: every row is of the type)."""

    event_type: str | None
    ref: FieldRef
    kind: ContractKind
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeResult:
    bad: int
    sample: str | None


@dataclass(frozen=True)
class TypeProfile:
    event_type: str | None
    rows: int
    present: dict[str, int]
    distinct: dict[str, int]


@dataclass(frozen=True)
class Profile:
    types: list[TypeProfile]
    probes: list[ProbeResult]  # in the order of the probes asked for


@dataclass(frozen=True)
class GroupedField:
    ref: FieldRef
    cap: int  # distinct values returned at most


@dataclass(frozen=True)
class GroupedAggregate:
    event_type: str | None
    keys: tuple[str | None, ...]
    rows: int
    first_seen: datetime | None
    last_seen: datetime | None
    fields: list[tuple[int, int, list[str]]]  # per field: present, distinct, values
    probes: tuple[ProbeResult, ...] = ()  # grouped_profile only: the probes' bad rows in this group


@dataclass(frozen=True)
class GroupedProfile:
    groups: list[GroupedAggregate]  # fields: present, distinct (≤ cap) and the sorted distinct values (≤ cap)
    profile: Profile  # per event type, summed from the groups


def type_profile(warehouse: Warehouse, base_query: str, type_ref: FieldRef | None, refs: Sequence[FieldRef],
                 probes: Sequence[ContractProbe], window: TimeWindow | None, limit: int,
                 distinct_cap: int = UNBOUNDED) -> Profile:
    warehouse.check(base_query)
    rows = warehouse.run(type_profile_sql(warehouse.dialect, base_query, type_ref, refs, probes, window,
                                           limit, distinct_cap)).rows
    types, results = [], [ProbeResult(0, None) for _ in probes]
    for row in rows:
        event_type, total = _text(row[0]), int(row[1])
        cells = row[2:]
        present = {ref.label: int(cells[2 * i]) for i, ref in enumerate(refs)}
        distinct = {ref.label: min(int(cells[2 * i + 1]), distinct_cap) for i, ref in enumerate(refs)}
        types.append(TypeProfile(event_type, total, present, distinct))
        probe_cells = cells[2 * len(refs):]
        for j in range(len(probes)):
            bad, sample = int(probe_cells[2 * j] or 0), _text(probe_cells[2 * j + 1])
            if bad:
                results[j] = ProbeResult(results[j].bad + bad, results[j].sample or sample)
    return Profile(types, results)


def grouped_rows(warehouse: Warehouse, base_query: str, type_ref: FieldRef | None, keys: Sequence[FieldRef],
                 time_column: str | None, fields: Sequence[GroupedField], window: TimeWindow | None,
                 limit: int, distinct_cap: int = UNBOUNDED) -> list[GroupedAggregate]:
    warehouse.check(base_query)
    query = grouped_sql(warehouse.dialect, base_query, type_ref, keys, time_column, fields, window, limit,
                        distinct_cap)
    out = []
    for row in warehouse.run(query).rows:
        event_type, key_values, total, first, last, cells = _group_head(row, type_ref, len(keys))
        per_field = [(int(cells[3 * i]), min(int(cells[3 * i + 1]), distinct_cap),
                      sorted(str(v) for v in (cells[3 * i + 2] or [])))
                     for i in range(len(fields))]
        out.append(GroupedAggregate(event_type, key_values, total, first, last, per_field))
    return out


def _group_head(row: Sequence[Any], type_ref: FieldRef | None, key_count: int) -> tuple[
        str | None, tuple[str | None, ...], int, datetime | None, datetime | None, Sequence[Any]]:
    """A grouped row's event type, grouping keys, count, first and last seen, and its per-field cells."""
    width = key_count + (1 if type_ref is not None else 0)
    event_type = _text(row[0]) if type_ref is not None else None
    key_values = tuple(_text(value) for value in row[width - key_count:width])
    return (event_type, key_values, int(row[width]), utc_or_none(row[width + 1]), utc_or_none(row[width + 2]),
            row[width + 3:])


def grouped_profile(warehouse: Warehouse, base_query: str, type_ref: FieldRef | None, keys: Sequence[FieldRef],
                    time_column: str | None, refs: Sequence[FieldRef], probes: Sequence[ContractProbe],
                    window: TimeWindow | None, limit: int, distinct_cap: int) -> GroupedProfile:
    """`grouped_rows` and `type_profile` in one read of the base query (see the module docstring)."""
    warehouse.check(base_query)
    query = grouped_profile_sql(warehouse.dialect, base_query, type_ref, keys, time_column, refs, probes, window,
                                limit, distinct_cap)
    groups = []
    for row in warehouse.run(query).rows:
        event_type, key_values, total, first, last, cells = _group_head(row, type_ref, len(keys))
        per_field = []
        for i in range(len(refs)):
            values = sorted(str(v) for v in (cells[2 * i + 1] or []))
            per_field.append((int(cells[2 * i]), min(len(values), distinct_cap), values))
        probe_cells = cells[2 * len(refs):]
        bad = tuple(ProbeResult(int(probe_cells[2 * j] or 0), _text(probe_cells[2 * j + 1]))
                    for j in range(len(probes)))
        groups.append(GroupedAggregate(event_type, key_values, total, first, last, per_field, bad))
    return GroupedProfile(groups, _summed_profile(groups, type_ref is None, refs, len(probes), distinct_cap))


def _summed_profile(groups: Sequence[GroupedAggregate], untyped: bool, refs: Sequence[FieldRef], probes: int,
                    distinct_cap: int) -> Profile:
    """What `type_profile` answers, from the groups: per type, rows, present counts and distinct counts
    (capped), and per probe the bad rows with the smallest bad value of the first type holding one."""
    labels = [ref.label for ref in refs]
    by_type: dict[str | None, list[GroupedAggregate]] = {}
    for group in groups:
        by_type.setdefault(group.event_type, []).append(group)
    if untyped and not by_type:
        by_type[None] = []  # without a type column the profile is one row, even over no rows
    types, samples = [], []
    for event_type, members in by_type.items():
        present, distinct = {}, {}
        for i, label in enumerate(labels):
            present[label] = sum(g.fields[i][0] for g in members)
            seen: set[str] = set()
            for g in members:
                seen.update(g.fields[i][2])
            full = any(g.fields[i][1] >= distinct_cap for g in members)
            distinct[label] = distinct_cap if full else min(len(seen), distinct_cap)
        types.append(TypeProfile(event_type, sum(g.rows for g in members), present, distinct))
        samples.append([(sum(g.probes[j].bad for g in members),
                         min((s for g in members if (s := g.probes[j].sample) is not None), default=None))
                        for j in range(probes)])
    order = sorted(range(len(types)), key=lambda n: -types[n].rows)
    results = [ProbeResult(0, None) for _ in range(probes)]
    for n in order:
        for j, (bad, sample) in enumerate(samples[n]):
            if bad:
                results[j] = ProbeResult(results[j].bad + bad, results[j].sample or sample)
    return Profile([types[n] for n in order], results)


def sample_matching(warehouse: Warehouse, base_query: str, equals: Sequence[tuple[FieldRef, str | None]],
                    window: TimeWindow | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` rows (column → JSON-friendly value) whose refs hold the given text values."""
    warehouse.check(base_query)
    dialect = warehouse.dialect
    bind = Binder(dialect)
    where = dialect.where(window, bind)
    tests = [_equals(dialect, ref, value, bind) for ref, value in equals]
    if tests:
        where += (" AND " if where else " WHERE ") + " AND ".join(tests)
    result = warehouse.run(bind.query(
        f"SELECT * FROM {dialect.wrap(base_query)}{where} LIMIT {bind(limit, ParamKind.INT)}"))
    return [{column.name: plain_cell(cell) for column, cell in zip(result.columns, row, strict=True)}
            for row in result.rows]


def type_profile_sql(dialect: Dialect, base_query: str, type_ref: FieldRef | None, refs: Sequence[FieldRef],
                      probes: Sequence[ContractProbe], window: TimeWindow | None, limit: int,
                      distinct_cap: int = UNBOUNDED) -> SqlQuery:
    bind = Binder(dialect)
    source, parsed = dialect.catalog_source(base_query, [*refs, *(p.ref for p in probes)], bind)
    type_sql = dialect.to_string(dialect.field_expression(type_ref, bind)) if type_ref is not None else None
    select = [f"{type_sql or 'NULL'} AS tripl_type", "COUNT(*) AS tripl_rows"]
    for i, ref in enumerate(refs):
        value = parsed.get(ref) or dialect.field_expression(ref, bind)
        select += [f"COUNT({value}) AS tripl_p{i}", f"{_distinct(dialect, value, distinct_cap)} AS tripl_d{i}"]
    for j, probe in enumerate(probes):
        bad = _bad_condition(dialect, probe, type_sql, bind, parsed)
        text = dialect.to_string(parsed.get(probe.ref) or dialect.field_expression(probe.ref, bind))
        select += [f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END) AS tripl_b{j}",
                   f"MIN(CASE WHEN {bad} THEN {text} END) AS tripl_s{j}"]
    where = dialect.where(window, bind)
    grouped = f" GROUP BY 1 ORDER BY 2 DESC LIMIT {bind(limit, ParamKind.INT)}" if type_ref is not None else ""
    return bind.query(f"SELECT {', '.join(select)} FROM {source}{where}{grouped}")


def _bad_condition(dialect: Dialect, probe: ContractProbe, type_sql: str | None, bind: Binder,
                   parsed: dict[FieldRef, str]) -> str:
    value = parsed.get(probe.ref) or dialect.field_expression(probe.ref, bind)
    text = dialect.to_string(value)
    tests = []
    if type_sql is not None and probe.event_type is not None:
        tests.append(f"{type_sql} = {bind(probe.event_type, ParamKind.STRING)}")
    if probe.kind is ContractKind.required_null:
        tests.append(f"{value} IS NULL")
    elif probe.kind is ContractKind.regex:
        tests += [f"{value} IS NOT NULL",
                  f"NOT {dialect.regex_matches(text, bind(probe.pattern or '', ParamKind.STRING))}"]
    elif probe.kind is ContractKind.range:
        number = dialect.to_number(text)
        outside = [f"{number} IS NULL"]
        if probe.minimum is not None:
            outside.append(f"{number} < {bind(probe.minimum, ParamKind.FLOAT)}")
        if probe.maximum is not None:
            outside.append(f"{number} > {bind(probe.maximum, ParamKind.FLOAT)}")
        tests += [f"{value} IS NOT NULL", f"({' OR '.join(outside)})"]
    else:
        tests += [f"{value} IS NOT NULL",
                  f"NOT {dialect.in_strings(text, bind(list(probe.options), ParamKind.STRING_ARRAY))}"]
    return "(" + " AND ".join(tests) + ")"


def grouped_sql(dialect: Dialect, base_query: str, type_ref: FieldRef | None, keys: Sequence[FieldRef],
                 time_column: str | None, fields: Sequence[GroupedField], window: TimeWindow | None,
                 limit: int, distinct_cap: int = UNBOUNDED) -> SqlQuery:
    bind = Binder(dialect)
    group_refs = ([type_ref] if type_ref is not None else []) + list(keys)
    source, parsed = dialect.catalog_source(base_query, [*group_refs, *(f.ref for f in fields)], bind)
    select = [f"{dialect.to_string(parsed.get(ref) or dialect.field_expression(ref, bind))} AS tripl_k{i}"
              for i, ref in enumerate(group_refs)]
    stamp = dialect.quote_identifier(time_column) if time_column else "NULL"
    select += ["COUNT(*) AS tripl_rows", f"MIN({stamp}) AS tripl_first", f"MAX({stamp}) AS tripl_last"]
    for i, grouped in enumerate(fields):
        value = parsed.get(grouped.ref) or dialect.field_expression(grouped.ref, bind)
        select += [f"COUNT({value}) AS tripl_p{i}", f"{_distinct(dialect, value, distinct_cap)} AS tripl_d{i}",
                   f"{dialect.distinct_values(dialect.to_string(value), grouped.cap)} AS tripl_v{i}"]
    where = dialect.where(window, bind)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(group_refs)))}" if group_refs else ""
    return bind.query(f"SELECT {', '.join(select)} FROM {source}{where}{group} "
                      f"ORDER BY tripl_rows DESC LIMIT {bind(limit, ParamKind.INT)}")


def grouped_profile_sql(dialect: Dialect, base_query: str, type_ref: FieldRef | None, keys: Sequence[FieldRef],
                        time_column: str | None, refs: Sequence[FieldRef], probes: Sequence[ContractProbe],
                        window: TimeWindow | None, limit: int, distinct_cap: int) -> SqlQuery:
    bind = Binder(dialect)
    group_refs = ([type_ref] if type_ref is not None else []) + list(keys)
    source, parsed = dialect.catalog_source(base_query, [*group_refs, *refs, *(p.ref for p in probes)], bind)
    group_sql = [dialect.to_string(parsed.get(ref) or dialect.field_expression(ref, bind)) for ref in group_refs]
    select = [f"{sql} AS tripl_k{i}" for i, sql in enumerate(group_sql)]
    stamp = dialect.quote_identifier(time_column) if time_column else "NULL"
    select += ["COUNT(*) AS tripl_rows", f"MIN({stamp}) AS tripl_first", f"MAX({stamp}) AS tripl_last"]
    for i, ref in enumerate(refs):
        value = parsed.get(ref) or dialect.field_expression(ref, bind)
        # One aggregate answers both the distinct count (its length, exact up to the cap) and the values.
        select += [f"COUNT({value}) AS tripl_p{i}",
                   f"{dialect.distinct_values(dialect.to_string(value), distinct_cap)} AS tripl_v{i}"]
    type_sql = group_sql[0] if type_ref is not None else None
    for j, probe in enumerate(probes):
        bad = _bad_condition(dialect, probe, type_sql, bind, parsed)
        text = dialect.to_string(parsed.get(probe.ref) or dialect.field_expression(probe.ref, bind))
        select += [f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END) AS tripl_b{j}",
                   f"MIN(CASE WHEN {bad} THEN {text} END) AS tripl_s{j}"]
    where = dialect.where(window, bind)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(group_refs)))}" if group_refs else ""
    return bind.query(f"SELECT {', '.join(select)} FROM {source}{where}{group} "
                      f"ORDER BY tripl_rows DESC LIMIT {bind(limit, ParamKind.INT)}")


def _distinct(dialect: Dialect, value_sql: str, cap: int) -> str:
    return dialect.count_distinct(value_sql) if cap >= UNBOUNDED else dialect.count_distinct_upto(value_sql, cap)


def _equals(dialect: Dialect, ref: FieldRef, value: str | None, bind: Binder) -> str:
    text = dialect.to_string(dialect.field_expression(ref, bind))
    if value is None:
        return f"{text} IS NULL"
    return f"{text} = {bind(value, ParamKind.STRING)}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
