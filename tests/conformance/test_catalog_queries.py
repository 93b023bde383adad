"""The catalog-scan aggregates answer alike on chDB, PostgreSQL and ClickHouse, checked against Python."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

from tests.conformance.fixture_data import END, START, Event, expected_json_keys, json_value
from tripl_core.warehouse import ColumnRef, JsonRef, RowSample, TimeWindow, Warehouse
from tripl_core.warehouse.catalog import (
    ContractKind,
    ContractProbe,
    GroupedField,
    grouped_rows,
    sample_matching,
    type_profile,
)

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
