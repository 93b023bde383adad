"""Identity planning and schema-drift decisions on plain data: no database, no warehouse."""

from __future__ import annotations

from datetime import UTC, datetime

from tripl_core.analysis import field_types
from tripl_core.analysis.identity import (
    Cardinality,
    FieldAggregate,
    GroupedRow,
    GroupRule,
    IdentitySpec,
    contexts,
    field_sources,
    field_value,
    grouping_keys,
    plan_identities,
    render,
    variable_name,
)
from tripl_core.analysis.schema_drift import DeclaredField, Measure, ObservedField, judge_type

T1, T2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
COLUMNS = {"ts": "string", "category": "string", "action": "string", "user_id": "string", "props": "json"}
PATHS = {"props.screen": "string", "props.price": "number"}
DISTINCT = {"category": 3, "action": 5, "user_id": 900, "props.screen": 4, "props.price": 300}


def _spec(**extra: object) -> IdentitySpec:
    settings: dict[str, object] = {"cardinality_threshold": 10, "json_value_paths": frozenset({"props.screen"})}
    settings.update(extra)
    return IdentitySpec(**settings)  # type: ignore[arg-type]


def test_low_and_high_columns_and_json_paths() -> None:
    sources = {s.label: s for s in field_sources(COLUMNS, PATHS, DISTINCT, _spec(), exclude=["ts"])}
    assert set(sources) == {"category", "action", "user_id", "props.screen", "props.price"}  # no ts, no props
    assert (sources["category"].cardinality, sources["category"].variable) == (Cardinality.low, False)
    assert (sources["user_id"].cardinality, sources["user_id"].variable) == (Cardinality.high, True)
    assert sources["props.screen"].variable is False  # listed in json_value_paths: literal
    assert sources["props.price"].variable is True  # JSON keys are variables
    low_json = field_sources({}, {"props.kind": "string"}, {"props.kind": 2}, _spec())
    assert (low_json[0].cardinality, low_json[0].variable) == (Cardinality.low, True)


def test_identity_from_the_format_skips_all_empty_rows() -> None:
    spec = _spec(event_name_format="{category}:{props.screen}")
    parts = spec.placeholders
    assert render(spec, parts, {"category": "page", "props.screen": "home"}) == "page:home"
    assert render(spec, parts, {"category": "page", "props.screen": None}) == "page:"
    assert render(spec, parts, {"category": None, "props.screen": ""}) is None
    sources = field_sources(COLUMNS, PATHS, DISTINCT, spec, exclude=["ts"])
    assert "category" not in {s.label for s in sources}  # rendered into the identity, not a field


def test_identity_from_low_columns_and_group_rules() -> None:
    rule = GroupRule.parse({"name": "checkout", "condition_logic": "all",
                            "conditions": [{"field": "category", "pattern": "^buy"},
                                           {"field": "action", "pattern": "x"}]})
    anyrule = GroupRule.parse({"name": "any_rule", "condition_logic": "any",
                               "conditions": [{"field": "action", "pattern": "^zz"}, {"field": "user_id",
                                                                                      "pattern": "^bot"}]})
    spec = _spec(group_rules=(rule, anyrule))
    sources = field_sources(COLUMNS, PATHS, DISTINCT, spec, exclude=["ts"])
    assert grouping_keys(spec, sources) == ["category", "action", "props.screen", "user_id"]
    parts = ["category", "action", "props.screen"]
    assert render(spec, parts, {"category": "buy_now", "action": "xy", "props.screen": "s"}) == "checkout"
    assert render(spec, parts, {"category": "buy_now", "action": "no", "props.screen": "s"}) == "buy_now:no:s"
    assert render(spec, parts, {"category": "a", "action": "b", "user_id": "bot7"}) == "any_rule"


def _row(keys: dict[str, str | None], count: int, values: dict[str, tuple[int, int, tuple[str, ...]]],
         first: datetime = T1, last: datetime = T2) -> GroupedRow:
    return GroupedRow("page", keys, count, first, last,
                      {label: FieldAggregate(*aggregate) for label, aggregate in values.items()})


def test_grouped_rows_merge_into_events_with_values_and_contexts() -> None:
    rule = GroupRule.parse({"name": "view", "conditions": [{"field": "action", "pattern": "^view"}]})
    spec = _spec(event_name_format="{action}", group_rules=(rule,))
    sources = field_sources({"action": "string", "user_id": "string", "platform": "string"}, PATHS,
                            {**DISTINCT, "platform": 2}, spec)
    rows = [
        _row({"action": "view_a"}, 5, {"user_id": (5, 5, ("u1", "u2")), "platform": (5, 1, ("ios",)),
                                       "props.screen": (5, 1, ("home",)), "props.price": (0, 0, ())}, first=T2),
        _row({"action": "view_b"}, 3, {"user_id": (3, 3, ("u3",)), "platform": (3, 1, ("ios",)),
                                       "props.screen": (3, 1, ("home",)), "props.price": (0, 0, ())}, last=T1),
        _row({"action": "buy"}, 7, {"user_id": (7, 7, ("u1",)), "platform": (7, 2, ("ios", "web")),
                                    "props.screen": (0, 0, ()), "props.price": (7, 7, ("1.5", "2"))}),
        _row({"action": None}, 4, {}),
    ]
    plan = plan_identities(rows, spec, sources)
    assert plan.skipped_rows == 4
    assert [(e.identity, e.count) for e in plan.events] == [("view", 8), ("buy", 7)]
    view, buy = plan.events
    assert (view.first_seen, view.last_seen) == (T1, T2)
    assert view.fields["user_id"].values == {"u1", "u2", "u3"}
    by_label = {s.label: s for s in sources}
    assert field_value(by_label["platform"], view.fields["platform"], None) == "ios"
    assert field_value(by_label["platform"], buy.fields["platform"], None) is None  # two values: no literal
    assert field_value(by_label["props.screen"], view.fields["props.screen"], None) == "home"
    assert field_value(by_label["props.screen"], buy.fields["props.screen"], None) is None  # never present
    assert field_value(by_label["user_id"], view.fields["user_id"], "user_id") == "${user_id}"
    planned = {(c.identity, c.field_name): c for c in contexts(plan.events, sources)}
    assert set(planned) == {("view", "user_id"), ("buy", "user_id"), ("buy", "props.price")}
    assert planned[("view", "user_id")].observed_count == 8
    assert planned[("buy", "props.price")].values == ("1.5", "2")


def test_variable_names_and_types() -> None:
    assert variable_name("props.user.id", set()) == "id"
    assert variable_name("props.user.id", {"id"}) == "props_user_id"
    assert variable_name("props.user.id", {"id", "props_user_id"}) == "props_user_id_2"
    assert variable_name("Props.2nd-Key", set()) == "v_2nd_key"
    assert field_types.value_family(["1", "2.5", "-3e2"]) == "number"
    assert field_types.value_family(["true", "false"]) == "boolean"
    assert field_types.value_family(["1", "x"]) == "string"
    assert field_types.sql_type_family("Nullable(Int64)") == "number"
    assert field_types.sql_type_family("timestamp with time zone") == "string"
    assert field_types.compatible("enum", "number", from_json_text=True)
    assert not field_types.compatible("number", "string", from_json_text=True)


def test_drift_decisions() -> None:
    declared = [
        DeclaredField("price", "number", minimum=0, maximum=10, max_bad_rate=0.05),
        DeclaredField("plan", "enum", is_required=True, enum_options=("free",), max_null_rate=0.2),
        DeclaredField("gone", "string", is_required=True),
        DeclaredField("optional_gone", "string"),
        DeclaredField("kind", "boolean"),
    ]
    observed = {"price": ObservedField(100, "number", True), "plan": ObservedField(70, "string", True),
                "kind": ObservedField(10, "string", False, "yes"), "extra": ObservedField(5, "string", True, "e")}
    measures = {("price", "range"): Measure(5, "12"), ("plan", "required_null"): Measure(30),
                ("plan", "enum"): Measure(1, "pro")}
    findings, outcomes = judge_type(100, declared, observed, measures, report_new=True)
    got = {(f.field_name, f.drift_type) for f in findings}
    assert got == {("extra", "new_field"), ("gone", "missing_field"), ("kind", "type_changed"),
                   ("plan", "required_null_violation"), ("plan", "enum_violation")}
    assert {(o.field_name, o.kind, o.passed) for o in outcomes} == {
        ("price", "range", True), ("plan", "required_null", False), ("plan", "enum", False)}
    quiet, _ = judge_type(100, declared, observed, measures, report_new=False)
    assert ("extra", "new_field") not in {(f.field_name, f.drift_type) for f in quiet}
