"""`run_catalog_scan` against a chDB folder and a PostgreSQL warehouse, on SQLite and PostgreSQL app DBs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.scans.catalog_support import BOX, Setup, make_project, make_scan
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.observe import reconciliation
from tripl_core.observe.models import ObservedVolume, SchemaDrift, ShadowCandidate, VariableContext
from tripl_core.plan import branch_scope
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventHistoryEntry,
    EventType,
    FieldDefinition,
    Project,
    Variable,
)
from tripl_core.scans import runs
from tripl_core.scans.catalog_scan import ScanFailed, run_catalog_scan
from tripl_core.sources.schemas import DataSourceCreate
from tripl_core.warehouse import UnsafeQuery


def _values(db: Database, event_name: str) -> dict[str, tuple[str, bool]]:
    with db.unit_of_work() as session:
        rows = session.execute(select(FieldDefinition.name, EventFieldValue.value, EventFieldValue.authored)
                               .join(EventFieldValue, EventFieldValue.field_id == FieldDefinition.id)
                               .join(Event, Event.id == EventFieldValue.event_id).where(Event.name == event_name))
        return {name: (value, authored) for name, value, authored in rows}


def test_discovery_fills_an_empty_plan(db: Database, warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    result = run_catalog_scan(db, make_scan(db, setup), uuid.uuid4(), secrets=BOX)
    s = result.summary
    assert (s["events_created"], s["rows_read"], s["event_types_seen"], s["drifts_raised"]) == (4, 240, 2, 0)
    with db.unit_of_work() as session:
        types = {t.name: t for t in session.scalars(select(EventType))}
        assert set(types) == {"page", "purchase"}
        fields = {(types_name, f.name): f.field_type for f in session.scalars(select(FieldDefinition))
                  for types_name in [next(n for n, t in types.items() if t.id == f.event_type_id)]}
        assert fields == {
            ("page", "platform"): "string", ("page", "user_id"): "string", ("page", "country"): "string",
            ("page", "properties.screen"): "string", ("page", "properties.load_ms"): "number",
            ("page", "properties.ab.variant"): "string", ("purchase", "platform"): "string",
            ("purchase", "user_id"): "string", ("purchase", "country"): "string",
            ("purchase", "properties.price"): "number", ("purchase", "properties.currency"): "string"}
        events = {e.name: e for e in session.scalars(select(Event))}
        assert set(events) == {"view_home", "view_cart", "legacy", "buy"}
        assert all(e.status == "in_review" and e.source_name == e.name and "scan" in e.description
                   and e.last_seen_at is not None for e in events.values())
        variables = {v.source_name: v.name for v in session.scalars(select(Variable))}
        assert variables == {"user_id": "user_id", "properties.load_ms": "load_ms", "properties.ab.variant": "variant",
                             "properties.price": "price", "properties.currency": "currency"}
        contexts = {(c.field_name, c.cardinality) for c in session.scalars(select(VariableContext))}
        assert ("user_id", "high") in contexts
        assert ("properties.currency", "low") in contexts
        buy_currency = session.scalar(select(VariableContext)
                                      .where(VariableContext.field_name == "properties.currency"))
        assert buy_currency is not None
        assert buy_currency.values == ["USD"]
        assert buy_currency.observed_count == 60
        assert session.scalar(select(ObservedVolume.id).limit(1)) is not None
    home = _values(db, "view_home")
    assert home["properties.screen"] == ("home", False)  # a literal JSON path with one value
    assert home["user_id"] == ("${user_id}", False)  # high cardinality column
    assert home["properties.load_ms"] == ("${load_ms}", False)
    assert home["platform"] == ("ios", False)  # one platform on this event: its literal
    assert "platform" not in _values(db, "buy")  # three platforms on one event: no single literal
    assert result.contract_checks == []


def _plan_first(db: Database, setup: Setup) -> dict[str, uuid.UUID]:
    """An existing plan for `page`: contracts that break, a renamed implemented event, an archived one,
    an authored value, and an old live event nothing sends."""
    with db.unit_of_work() as session:
        page = EventType(project_id=setup.project_id, branch_id=setup.branch_id, name="page", display_name="Page")
        session.add(page)
        session.flush()

        def declare(name: str, field_type: str, **extra: object) -> FieldDefinition:
            definition = FieldDefinition(branch_id=setup.branch_id, event_type_id=page.id, name=name,
                                         display_name=name, field_type=field_type, **extra)
            session.add(definition)
            return definition

        declare("platform", "enum", enum_options=["ios", "android"], contract_max_bad_rate=0.1)
        screen = declare("properties.screen", "string", is_required=True, contract_regex="^home$")
        declare("properties.load_ms", "number", contract_min_value=0, contract_max_value=1000)
        declare("country", "string", is_required=True, contract_required_max_null_rate=0.1)
        declare("user_id", "number")
        declare("missing_thing", "string", is_required=True)
        home = Event(project_id=setup.project_id, branch_id=setup.branch_id, event_type_id=page.id,
                     name="Home view", source_name="view_home", status="implemented")
        legacy = Event(project_id=setup.project_id, branch_id=setup.branch_id, event_type_id=page.id,
                       name="legacy", status="archived")
        gone = Event(project_id=setup.project_id, branch_id=setup.branch_id, event_type_id=page.id,
                     name="gone", status="live", created_at=utcnow() - timedelta(days=40))
        session.add_all([home, legacy, gone])
        session.flush()
        session.add(EventFieldValue(branch_id=setup.branch_id, event_id=home.id, field_id=screen.id,
                                    value="HOME (authored)", authored=True))
        return {"home": home.id, "legacy": legacy.id, "gone": gone.id, "page": page.id}


def test_an_existing_plan_gets_drifts_shadows_promotion_and_keeps_what_people_wrote(
        db: Database, warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    ids = _plan_first(db, setup)
    scan_id = make_scan(db, setup)
    result = run_catalog_scan(db, scan_id, None, secrets=BOX)
    with db.unit_of_work() as session:
        drifts = {(d.field_name, d.drift_type): d for d in session.scalars(select(SchemaDrift))
                  if d.event_type_id == ids["page"]}
        assert set(drifts) == {
            ("properties.ab.variant", "new_field"), ("missing_thing", "missing_field"),
            ("user_id", "type_changed"), ("platform", "enum_violation"), ("properties.screen", "regex_violation"),
            ("properties.load_ms", "range_violation"), ("country", "required_null_violation")}
        assert drifts[("platform", "enum_violation")].sample_value == "web"
        assert drifts[("platform", "enum_violation")].details["bad_count"] == 60
        assert drifts[("properties.screen", "regex_violation")].sample_value in ("cart", "legacy")
        assert drifts[("user_id", "type_changed")].observed_type == "string"
        assert drifts[("user_id", "type_changed")].declared_type == "number"
        assert drifts[("country", "required_null_violation")].details["bad_count"] == 60
        assert all(d.status == "open" and d.detected_at is not None for d in drifts.values())
        home = session.get(Event, ids["home"])
        assert home is not None
        assert (home.name, home.status, home.source_name) == ("Home view", "live", "view_home")
        promoted = session.scalar(select(EventHistoryEntry).where(EventHistoryEntry.event_id == home.id,
                                                                  EventHistoryEntry.action == "promoted"))
        assert promoted is not None
        assert promoted.actor_name == "scan events"
        legacy = session.get(Event, ids["legacy"])
        assert legacy is not None
        assert (legacy.status, legacy.last_seen_at) == ("archived", None)
        shadows = {c.identity: c for c in session.scalars(select(ShadowCandidate))}
        assert set(shadows) == {"view_cart"}
        assert shadows["view_cart"].volume == 60
        assert 1 <= len(shadows["view_cart"].sample_rows) <= 5
        assert all(row["event_name"] == "view_cart" for row in shadows["view_cart"].sample_rows)
        assert session.scalar(select(Event).where(Event.name == "view_cart")) is None
        assert session.scalar(select(Event).where(Event.name == "buy")) is not None  # new type: discovered
    assert _values(db, "Home view")["properties.screen"] == ("HOME (authored)", True)
    checks = {(c.event_type, c.field, c.passed) for c in result.contract_checks}
    assert ("page", "platform", False) in checks
    assert ("page", "properties.load_ms", False) in checks
    again = run_catalog_scan(db, scan_id, None, secrets=BOX)
    assert (again.summary["drifts_raised"], again.summary["shadow_candidates_new"]) == (0, 0)
    with db.unit_of_work() as session:
        assert len(list(session.scalars(select(SchemaDrift)))) == len(drifts)
        project = session.get(Project, setup.project_id)
        assert project is not None
        scope = branch_scope.resolve(session, project, None, write=False)
        dead = reconciliation.dead_events(session, scope, 30)
        assert [d.name for d in dead.items] == ["gone"]
        coverage = reconciliation.coverage(session, scope, 14, None)
        page = next(row for row in coverage.items if row.event_type_name == "page")
        assert (page.total_volume, page.planned_volume) == (180, 60)  # home planned; cart and legacy not
        assert (page.active_events, page.seen_events) == (2, 1)  # home seen, gone not
        assert coverage.summary.total_volume == 240


def test_a_snoozed_drift_reopens_when_its_snooze_ended(db: Database, warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    _plan_first(db, setup)
    scan_id = make_scan(db, setup)
    run_catalog_scan(db, scan_id, None, secrets=BOX)
    with db.unit_of_work() as session:
        drifts = list(session.scalars(select(SchemaDrift).order_by(SchemaDrift.field_name)))
        drifts[0].status, drifts[0].snoozed_until = "snoozed", utcnow() - timedelta(minutes=1)
        drifts[1].status, drifts[1].snoozed_until = "snoozed", utcnow() + timedelta(days=1)
        drifts[2].status = "false_positive"
        ended, waiting, settled = drifts[0].id, drifts[1].id, drifts[2].id
    summary = run_catalog_scan(db, scan_id, None, secrets=BOX).summary
    assert (summary["drifts_reopened"], summary["drifts_raised"]) == (1, 0)
    with db.unit_of_work() as session:
        status = {d.id: d.status for d in session.scalars(select(SchemaDrift))}
    assert (status[ended], status[waiting], status[settled]) == ("open", "snoozed", "false_positive")


def test_limits_and_a_vanished_format_column_fail_with_their_name_and_write_nothing(
        db: Database, warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    limited = make_scan(db, setup, name="limited", scan_row_limit=2)
    with pytest.raises(ScanFailed, match=r"scan_row_limit \(2\)"):
        run_catalog_scan(db, limited, None, secrets=BOX)
    vanished = make_scan(db, setup, name="vanished", event_name_format="{event_name}:{screen_name}")
    with pytest.raises(ScanFailed, match="'screen_name'"):
        run_catalog_scan(db, vanished, None, secrets=BOX)
    with db.unit_of_work() as session:
        assert session.scalar(select(EventType.id).limit(1)) is None
        assert session.scalar(select(Event.id).limit(1)) is None


def test_a_failing_warehouse_keeps_the_previous_plan(db: Database, warehouse_source: DataSourceCreate,
                                                     tmp_path: Path) -> None:
    setup = make_project(db, warehouse_source)
    scan_id = make_scan(db, setup)
    run_catalog_scan(db, scan_id, None, secrets=BOX)
    with db.unit_of_work() as session:
        before = sorted(session.scalars(select(Event.name)))
    bad = make_scan(db, setup, name="broken", base_query="SELECT * FROM no_such_table")
    with pytest.raises(UnsafeQuery, match="table `no_such_table` is not a table of this data source"):
        run_catalog_scan(db, bad, None, secrets=BOX)
    with db.unit_of_work() as session:
        assert sorted(session.scalars(select(Event.name))) == before


def test_cancellation_between_warehouse_steps_writes_nothing(db: Database,
                                                             warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(runs.ScanCancelled, match="Cancelled"):  # what a run's job row ends `cancelled` on
        run_catalog_scan(db, make_scan(db, setup), None, secrets=BOX, cancel_requested=cancel)
    with db.unit_of_work() as session:
        assert session.scalar(select(Event.id).limit(1)) is None


def test_group_rules_rename_rows_and_no_format_uses_low_columns(db: Database,
                                                               warehouse_source: DataSourceCreate) -> None:
    setup = make_project(db, warehouse_source)
    rules = [{"name": "page_seen", "condition_logic": "any",
              "conditions": [{"field": "event_name", "pattern": "^view_"}]}]
    run_catalog_scan(db, make_scan(db, setup, event_group_rules=rules), None, secrets=BOX)
    with db.unit_of_work() as session:
        assert sorted(session.scalars(select(Event.name))) == ["buy", "legacy", "page_seen"]
    other = make_project(db, warehouse_source.model_copy(update={"name": "other"}), slug="other")
    run_catalog_scan(db, make_scan(db, other, name="noformat", event_name_format=None, json_value_paths=[]),
                     None, secrets=BOX)
    with db.unit_of_work() as session:
        names = set(session.scalars(select(Event.name).where(Event.project_id == other.project_id)))
    # platform (3) × country (DE, FR or missing) × event_name, rendered "a:b:c" in column order
    assert "view_home:ios:DE" in names or "view_home:ios:FR" in names or "view_home:ios:" in names
    assert all(name.count(":") == 2 for name in names)
