"""The catalog-scan aggregates answer alike on chDB, PostgreSQL and ClickHouse, checked against Python."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

from tests.conformance.fixture_data import END, START, Event, expected_json_keys, json_value
from tripl_core.warehouse import ColumnRef, JsonRef, RowSample, TimeWindow, Warehouse
from tripl_core.warehouse.catalog_queries import (
    ContractKind,
    ContractProbe,
    GroupedField,
    grouped_profile,
    grouped_profile_sql,
    grouped_rows,
    sample_matching,
    type_profile,
)
from tripl_core.warehouse.dialects.clickhouse import ClickHouseDialect

EVENTS = "SELECT * FROM events"
PLAN = JsonRef.parse("properties.user.plan")
AGE = JsonRef.parse("properties.user.age")
PAGE = JsonRef.parse("properties.page")


def _age(e: Event) -> str | None:
    return json_value(e.properties, ("user", "age"))


def test_type_profile_counts_present_distinct_and_contract_breaches(warehouse: Warehouse,
                                                                     events: list[Event]) -> None:
    probes = [
        ContractProbe("click", PLAN, ContractKind.required_null),
        ContractProbe("click", PAGE, ContractKind.regex, pattern="^/(home|docs)"),
        ContractProbe("signup", AGE, ContractKind.range, minimum=20, maximum=60),
        ContractProbe("purchase", PLAN, ContractKind.enum, options=("free", "pro")),
    ]
    profile = type_profile(warehouse, EVENTS, ColumnRef("category"), [ColumnRef("user_id"), PLAN], probes,
                           None, 100)
    by_type = {t.event_type: t for t in profile.types}
    rows = defaultdict(list)
    for e in events:
        rows[e.category].append(e)
    assert set(by_type) == set(rows)
    for category, members in rows.items():
        got = by_type[category]
        plans = [json_value(e.properties, ("user", "plan")) for e in members]
        assert got.rows == len(members)
        assert got.present == {"user_id": len(members), "properties.user.plan": sum(p is not None for p in plans)}
        assert got.distinct["user_id"] == len({e.user_id for e in members})
        assert got.distinct["properties.user.plan"] == len({p for p in plans if p is not None})
    clicks, signups, purchases = rows["click"], rows["signup"], rows["purchase"]
    nulls = sum(json_value(e.properties, ("user", "plan")) is None for e in clicks)
    pages = [json_value(e.properties, ("page",)) for e in clicks]
    bad_pages = [p for p in pages if p is not None and not re.search("^/(home|docs)", p)]
    ages = [_age(e) for e in signups]
    bad_ages = [a for a in ages if a is not None and not 20 <= float(a) <= 60]
    plans = [json_value(e.properties, ("user", "plan")) for e in purchases]
    bad_plans = [p for p in plans if p is not None and p not in ("free", "pro")]
    assert [r.bad for r in profile.probes] == [nulls, len(bad_pages), len(bad_ages), len(bad_plans)]
    assert profile.probes[0].sample is None
    assert profile.probes[1].sample == min(bad_pages)
    assert profile.probes[2].sample in bad_ages
    assert profile.probes[3].sample == "team"


def test_type_profile_without_a_type_column_and_inside_a_window(warehouse: Warehouse, events: list[Event]) -> None:
    window = TimeWindow("ts", START, END)
    profile = type_profile(warehouse, EVENTS, None, [ColumnRef("category")],
                           [ContractProbe(None, ColumnRef("category"), ContractKind.enum, options=("click",))],
                           window, 10)
    inside = [e for e in events if START <= e.ts < END]
    assert [(t.event_type, t.rows) for t in profile.types] == [(None, len(inside))]
    assert profile.types[0].present == {"category": sum(e.category is not None for e in inside)}
    assert profile.probes[0].bad == sum(e.category not in (None, "click") for e in inside)


def test_grouped_rows_hold_counts_times_and_capped_distinct_values(warehouse: Warehouse,
                                                                    events: list[Event]) -> None:
    fields = [GroupedField(ColumnRef("user_id"), 5), GroupedField(PLAN, 10)]
    got = grouped_rows(warehouse, EVENTS, ColumnRef("category"), [PAGE], "ts", fields, None, 1000)
    groups: dict[tuple[str | None, str | None], list[Event]] = defaultdict(list)
    for e in events:
        groups[(e.category, json_value(e.properties, ("page",)))].append(e)
    assert {(g.event_type, g.keys[0]): g.rows for g in got} == {k: len(v) for k, v in groups.items()}
    assert [g.rows for g in got] == sorted((g.rows for g in got), reverse=True)
    for g in got:
        members = groups[(g.event_type, g.keys[0])]
        assert (g.first_seen, g.last_seen) == (min(e.ts for e in members), max(e.ts for e in members))
        users = {e.user_id for e in members}
        plans = {p for e in members if (p := json_value(e.properties, ("user", "plan"))) is not None}
        (u_present, u_distinct, u_values), (p_present, p_distinct, p_values) = g.fields
        assert (u_present, u_distinct, len(u_values)) == (len(members), len(users), min(5, len(users)))
        assert set(u_values) <= users
        assert (p_distinct, set(p_values)) == (len(plans), plans)
        assert p_present == sum(json_value(e.properties, ("user", "plan")) is not None for e in members)


def test_grouped_rows_stop_at_the_limit(warehouse: Warehouse, events: list[Event]) -> None:
    got = grouped_rows(warehouse, EVENTS, None, [ColumnRef("user_id")], None, [], None, 7)
    assert len(got) == 7
    counts = Counter(e.user_id for e in events)
    assert got[0].rows == max(counts.values())
    assert got[0].first_seen is None


def test_sample_matching_returns_rows_with_the_given_values(warehouse: Warehouse, events: list[Event]) -> None:
    rows = sample_matching(warehouse, EVENTS, [(ColumnRef("category"), "signup"), (PLAN, "pro")], None, 3)
    assert len(rows) == 3
    assert all(row["category"] == "signup" and '"plan": "pro"' in row["properties"] for row in rows)
    nulls = sample_matching(warehouse, EVENTS, [(ColumnRef("category"), None)], None, 2)
    assert [row["category"] for row in nulls] == [None, None]


def test_distinct_counts_stop_at_the_cap(warehouse: Warehouse, events: list[Event]) -> None:
    profile = type_profile(warehouse, EVENTS, ColumnRef("category"), [ColumnRef("user_id"), PLAN], [], None, 100,
                           distinct_cap=4)
    grouped = grouped_rows(warehouse, EVENTS, ColumnRef("category"), [], None,
                           [GroupedField(ColumnRef("user_id"), 2)], None, 100, distinct_cap=4)
    users: dict[str | None, set[str]] = defaultdict(set)
    plans: dict[str | None, set[str]] = defaultdict(set)
    for e in events:
        users[e.category].add(e.user_id)
        plan = json_value(e.properties, ("user", "plan"))
        if plan is not None:
            plans[e.category].add(plan)
    assert any(len(u) > 4 for u in users.values())
    assert {t.event_type: (t.distinct["user_id"], t.distinct["properties.user.plan"]) for t in profile.types} == {
        category: (min(len(users[category]), 4), min(len(plans[category]), 4)) for category in users}
    assert {g.event_type: g.fields[0][1] for g in grouped} == {c: min(len(u), 4) for c, u in users.items()}


def _untied(timed: list[Event], start: int) -> int:
    """The first sample size from `start` whose last row's time differs from the next row's."""
    return next(n for n in range(start, len(timed)) if timed[n - 1].ts != timed[n].ts)


def test_json_keys_of_a_sample_come_from_the_most_recent_rows(warehouse: Warehouse, events: list[Event]) -> None:
    timed = sorted(events, key=lambda e: e.ts, reverse=True)
    size = _untied(timed, 40)
    got = warehouse.json_keys(EVENTS, "properties", None, RowSample(size, "ts"))
    assert {key.path: key.count for key in got} == expected_json_keys(timed[:size])
    window = TimeWindow("ts", START, timed[100].ts)  # the sample is the most recent rows inside the window
    inside = [e for e in timed if window.start <= e.ts < window.end]
    size = _untied(inside, 40)
    got = warehouse.json_keys(EVENTS, "properties", window, RowSample(size, "ts"))
    assert {key.path: key.count for key in got} == expected_json_keys(inside[:size])


def test_json_keys_of_a_sample_without_a_time_column_read_at_most_its_rows(warehouse: Warehouse,
                                                                          events: list[Event]) -> None:
    every = expected_json_keys(events)
    got = {key.path: key.count for key in warehouse.json_keys(EVENTS, "properties", None, RowSample(25))}
    assert got
    assert set(got) <= set(every)
    assert max(got.values()) <= 25


def test_top_level_json_values_read_alike_in_every_aggregate(warehouse: Warehouse, events: list[Event]) -> None:
    """Strings unquoted, numbers, booleans, arrays and objects as JSON text, JSON null and missing keys
    as NULL, whichever way the dialect reads a row's document (once per row, or once per path)."""
    paths = [JsonRef.parse(f"properties.{key}") for key in ("page", "user", "referrer", "tags", "empty", "flag")]
    got = grouped_rows(warehouse, EVENTS, ColumnRef("category"), [], None,
                       [GroupedField(ref, 100) for ref in paths], None, 100)
    profile = type_profile(warehouse, EVENTS, ColumnRef("category"), paths, [], None, 100)
    members: dict[str | None, list[Event]] = defaultdict(list)
    for e in events:
        members[e.category].append(e)
    for g in got:
        for ref, (present, _, values) in zip(paths, g.fields, strict=True):
            expected = [json_value(e.properties, ref.path) for e in members[g.event_type]]
            assert present == sum(v is not None for v in expected), ref
            every = {_canonical(ref, v) for v in expected if v is not None}
            assert {_canonical(ref, v) for v in values} <= every, ref
            assert len(values) == min(len(every), 100), ref
    for t in profile.types:
        expected_present = {ref.label: sum(json_value(e.properties, ref.path) is not None
                                           for e in members[t.event_type]) for ref in paths}
        assert t.present == expected_present


def _canonical(ref: JsonRef, text: str) -> str:
    """Objects and arrays compared as JSON (engines differ in their spacing and key order)."""
    return json.dumps(json.loads(text), sort_keys=True) if ref.path[0] in ("user", "tags", "empty") else text


def test_one_pass_profile_answers_what_the_profile_and_grouped_queries_answer(warehouse: Warehouse,
                                                                             events: list[Event]) -> None:
    """grouped_profile (one read, for a format's fixed keys) equals type_profile + grouped_rows: per type
    rows, present, distinct counts below and at the cap, contract breaches and their sample; per group the
    same counts and every distinct value below the cap."""
    refs = [ColumnRef("user_id"), PLAN, AGE, PAGE, JsonRef.parse("properties.user.address.country")]
    probes = [
        ContractProbe("click", PLAN, ContractKind.required_null),
        ContractProbe("click", PAGE, ContractKind.regex, pattern="^/(home|docs)"),
        ContractProbe("signup", AGE, ContractKind.range, minimum=20, maximum=60),
        ContractProbe("purchase", PLAN, ContractKind.enum, options=("free", "pro")),
    ]
    for cap in (4, 1000):
        one = grouped_profile(warehouse, EVENTS, ColumnRef("category"), [PAGE], "ts", refs, probes, None, 1000, cap)
        profile = type_profile(warehouse, EVENTS, ColumnRef("category"), refs, probes, None, 100, distinct_cap=cap)
        grouped = grouped_rows(warehouse, EVENTS, ColumnRef("category"), [PAGE], "ts",
                               [GroupedField(ref, cap) for ref in refs], None, 1000, distinct_cap=cap)
        assert sorted(one.profile.types, key=lambda t: str(t.event_type)) == \
            sorted(profile.types, key=lambda t: str(t.event_type))
        assert [t.rows for t in one.profile.types] == sorted((t.rows for t in profile.types), reverse=True)
        assert [r.bad for r in one.profile.probes] == [r.bad for r in profile.probes]
        assert [r.sample for r in one.profile.probes[:2] + one.profile.probes[3:]] == \
            [r.sample for r in profile.probes[:2] + profile.probes[3:]]  # MIN of the first type holding one
        assert one.profile.probes[2].sample is not None
        expected = {(g.event_type, g.keys): g for g in grouped}
        assert len(one.groups) == len(expected)
        for g in one.groups:
            other = expected[(g.event_type, g.keys)]
            assert (g.rows, g.first_seen, g.last_seen) == (other.rows, other.first_seen, other.last_seen)
            for (present, distinct, values), (o_present, o_distinct, o_values) in zip(g.fields, other.fields,
                                                                                      strict=True):
                assert (present, distinct) == (o_present, o_distinct)
                assert values == sorted(values)
                assert len(values) == distinct
                if distinct < cap:
                    assert values == o_values


def test_one_pass_profile_without_a_type_column_over_no_rows(warehouse: Warehouse) -> None:
    window = TimeWindow("ts", END, END + (END - START))  # nothing there
    one = grouped_profile(warehouse, EVENTS, None, [ColumnRef("category")], "ts", [ColumnRef("user_id")],
                          [ContractProbe(None, ColumnRef("user_id"), ContractKind.required_null)], window, 10, 5)
    profile = type_profile(warehouse, EVENTS, None, [ColumnRef("user_id")],
                           [ContractProbe(None, ColumnRef("user_id"), ContractKind.required_null)], window, 10, 5)
    assert one.groups == []
    assert one.profile == profile


def _literal(warehouse: Warehouse, text: str | None) -> str:
    if text is None:
        return "NULL"
    if warehouse.dialect.guard_dialect in ("clickhouse", "bigquery"):  # backslash escapes in their literals
        text = text.replace("\\", "\\\\")
    return "'" + text.replace("'", "''") + "'"


def test_two_level_json_paths_read_alike_whatever_the_parent_holds(warehouse: Warehouse) -> None:
    """A two-level path is its member when the parent is an object, NULL when the parent is an array, a
    string (even one holding JSON object text), null or missing, or the document is no object."""
    docs = [
        '{"user":{"plan":"pro","age":30}}', '{"user":["pro"]}', '{"user":"{\\"plan\\":\\"x\\"}"}',
        '{"user":"{plan}"}', '{"user":{"plan":null}}', '{"user":{"plan":{"tier":1}}}', '{"user":{"plan":[1, 2]}}',
        '[{"user":{"plan":"arr"}}]', None, '{"user":null}', '{"page":"/home"}', '{"user":{"plan":true}}',
        '{"user":{"plan":"pro"},"page":"/docs"}',
    ]
    base = " UNION ALL ".join(f"SELECT 'a' AS category, {_literal(warehouse, doc)} AS properties" for doc in docs)
    # The parent alone (its members read from one parse of each document), and also as a leaf itself.
    for paths in ([PLAN, AGE, PAGE], [PLAN, AGE, JsonRef.parse("properties.user")]):
        one = grouped_profile(warehouse, base, ColumnRef("category"), [], None, paths, [], None, 10, 100)
        [group] = one.groups
        for ref, (present, distinct, values) in zip(paths, group.fields, strict=True):
            expected = [v for doc in docs if (v := json_value(doc if doc and doc.startswith("{") else None,
                                                               ref.path)) is not None]
            assert present == len(expected), ref
            canonical = {_spacing(v) for v in expected}
            assert {_spacing(v) for v in values} == canonical, ref
            assert distinct == len(canonical), ref
        assert group.fields[0][0] == 5  # "pro" twice, an object, an array, true


def test_clickhouse_reads_two_level_paths_from_its_one_parse_of_each_document() -> None:
    sql = grouped_profile_sql(ClickHouseDialect(), EVENTS, ColumnRef("category"), [PAGE], "ts", [PLAN, AGE], [],
                              None, 10, 5)
    assert sql.sql.count("JSONExtract(") == 1
    assert "JSONExtractString(" not in sql.sql  # no per-path expression
    assert "Map(String, Nullable(String))" in str([p.value for p in sql.params.values()])


def _spacing(text: str) -> str:
    """JSON object and array text compared whatever its spacing and key order (engines differ)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else text
