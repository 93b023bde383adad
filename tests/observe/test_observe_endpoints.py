"""Drift, variable-value and reconciliation endpoints over a scanned chDB warehouse, with permissions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.plan.support import field, make_event, make_type, ok, url
from tests.scans.catalog_support import BOX, Setup, make_scan, write_parquet
from tests.scans.catalog_support import rows as catalog_rows
from tests.support.workspace import Actor, Workspace
from tripl_core.db.base import utcnow
from tripl_core.plan.models import Branch, BranchKind, Event, Project
from tripl_core.scans.catalog_scan import run_catalog_scan


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_parquet(tmp_path_factory.mktemp("observe-lake"), catalog_rows())


def _scanned(ws: Workspace, lake: Path) -> dict[str, Any]:
    """Project `shop` with a planned `page` type (so drifts and shadows appear), scanned once."""
    ws.project("shop")
    page = make_type(ws.editor, "shop", "page", [field("platform", "enum", enum_options=["ios", "android"]),
                                                 field("missing_thing", is_required=True)])
    home = make_event(ws.editor, "shop", page["id"], "view_home", status="live")
    gone = make_event(ws.editor, "shop", page["id"], "gone", status="live")
    source = ok(ws.owner.post("/api/v1/data-sources", json={"name": "lake", "db_type": "chdb", "path": str(lake)}),
                201)
    with ws.db.unit_of_work() as session:
        project = session.scalar(select(Project).where(Project.slug == "shop"))
        assert project is not None
        branch = session.scalar(select(Branch.id).where(Branch.project_id == project.id,
                                                        Branch.kind == BranchKind.main.value))
        old = session.get(Event, uuid.UUID(gone["id"]))
        assert old is not None
        old.created_at = utcnow() - timedelta(days=40)
        setup = Setup(project.id, branch, uuid.UUID(source["id"]))
    run_catalog_scan(ws.db, make_scan(ws.db, setup), None, secrets=BOX)
    return {"page": page, "home": home, "gone": gone}


def test_drifts_list_and_actions_change_the_plan(ws: Workspace, lake: Path) -> None:
    plan = _scanned(ws, lake)
    page = plan["page"]["id"]
    body = ok(ws.viewer.get(url("shop", f"/event-types/{page}/drifts")))
    kinds = {(d["field_name"], d["drift_type"]): d for d in body["items"]}
    assert body["total"] == len(body["items"])
    assert ("properties.ab.variant", "new_field") in kinds
    assert ("missing_thing", "missing_field") in kinds
    assert ("platform", "enum_violation") in kinds
    new_field, missing = kinds[("properties.ab.variant", "new_field")], kinds[("missing_thing", "missing_field")]
    home = ok(ws.viewer.get(url("shop", f"/events/{plan['home']['id']}")))
    assert home["drift_count"] >= 2
    project = ok(ws.viewer.get(url("shop")))
    assert project["summary"]["open_drifts"] == body["total"]
    act = f"/event-types/drifts/{new_field['id']}/actions"
    assert ws.viewer.post(url("shop", act), json={"action": "accept"}).status_code == 403
    accepted = ok(ws.editor.post(url("shop", act), json={"action": "accept", "note": "expected"}))
    assert (accepted["status"], accepted["resolution_note"]) == ("accepted", "expected")
    assert accepted["resolved_by"] == str(ws.editor.user.id if ws.editor.user else "")
    fields = {f["name"] for f in ok(ws.viewer.get(url("shop", f"/event-types/{page}")))["field_definitions"]}
    assert "properties.ab.variant" in fields
    ok(ws.editor.post(url("shop", f"/event-types/drifts/{missing['id']}/actions"), json={"action": "accept"}))
    fields = {f["name"] for f in ok(ws.viewer.get(url("shop", f"/event-types/{page}")))["field_definitions"]}
    assert "missing_thing" not in fields
    enum = kinds[("platform", "enum_violation")]
    path = url("shop", f"/event-types/drifts/{enum['id']}/actions")
    past = (utcnow() - timedelta(hours=1)).isoformat()
    assert ws.editor.post(path, json={"action": "snooze", "snoozed_until": past}).status_code == 422
    snoozed = ok(ws.editor.post(path, json={"action": "snooze"}))
    assert snoozed["status"] == "snoozed"
    assert snoozed["snoozed_until"] is not None
    assert ok(ws.editor.post(path, json={"action": "false_positive"}))["status"] == "false_positive"
    reopened = ok(ws.editor.post(path, json={"action": "reopen"}))
    assert (reopened["status"], reopened["resolved_at"], reopened["snoozed_until"]) == ("open", None, None)
    assert ws.editor.post(path, json={"action": "explode"}).status_code == 422
    assert ws.editor.post(url("shop", f"/event-types/drifts/{uuid.uuid4()}/actions"),
                          json={"action": "accept"}).status_code == 404


def test_variable_values_and_usage_counts(ws: Workspace, lake: Path) -> None:
    _scanned(ws, lake)
    variables = {v["name"]: v for v in ok(ws.viewer.get(url("shop", "/variables")))}
    user = variables["user_id"]
    assert (user["source_name"], user["high_context_count"], user["low_context_count"]) == ("user_id", 2, 0)
    assert user["context_count"] == 2
    assert 0 < len(user["sample_values"]) <= 20
    currency = variables["currency"]
    assert (currency["low_context_count"], currency["sample_values"]) == (1, ["USD"])
    values = ok(ws.viewer.get(url("shop", f"/variables/{currency['id']}/values")))
    assert [(v["event_name"], v["field_name"], v["cardinality"], v["observed_count"], v["values"])
            for v in values] == [("buy", "properties.currency", "low", 60, ["USD"])]
    assert values[0]["source_column"] == "properties.currency"
    assert ws.anonymous.get(url("shop", f"/variables/{currency['id']}/values")).status_code == 401


def test_shadow_dead_and_coverage(ws: Workspace, lake: Path) -> None:
    plan = _scanned(ws, lake)
    shadows = ok(ws.viewer.get(url("shop", "/reconciliation/shadow-events")))
    names = {s["identity"]: s for s in shadows["items"]}
    assert set(names) == {"view_cart", "legacy"}
    assert shadows["new_count"] == 2
    cart, legacy = names["view_cart"], names["legacy"]
    assert (cart["volume"], cart["status"]) == (60, "new")
    assert 1 <= len(cart["sample_rows"]) <= 5
    assert ws.viewer.post(url("shop", f"/reconciliation/shadow-events/{cart['id']}/accept"), json={}).status_code \
        == 403
    accepted = ok(ws.editor.post(url("shop", f"/reconciliation/shadow-events/{cart['id']}/accept"),
                                 json={"name": "Cart view"}))
    assert accepted["status"] == "accepted"
    event = ok(ws.viewer.get(url("shop", f"/events/{accepted['event_id']}")))
    assert (event["name"], event["source_name"], event["event_type_id"]) == ("Cart view", "view_cart",
                                                                            plan["page"]["id"])
    dismissed = ok(ws.editor.post(url("shop", f"/reconciliation/shadow-events/{legacy['id']}/dismiss")))
    assert dismissed["status"] == "dismissed"
    listed = ok(ws.viewer.get(url("shop", "/reconciliation/shadow-events")))
    assert [(s["identity"], s["status"]) for s in listed["items"]] == [("view_cart", "accepted")]
    assert listed["new_count"] == 0
    dead = ok(ws.viewer.get(url("shop", "/reconciliation/dead-events")))
    assert ([d["name"] for d in dead["items"]], dead["days"]) == (["gone"], 30)
    assert ok(ws.viewer.get(url("shop", "/reconciliation/dead-events?days=365")))["total"] == 0
    assert ws.viewer.post(url("shop", "/reconciliation/dead-events/archive"),
                          json={"event_ids": [plan["gone"]["id"]]}).status_code == 403
    archived = ok(ws.editor.post(url("shop", "/reconciliation/dead-events/archive"),
                                 json={"event_ids": [plan["gone"]["id"]]}))
    assert (archived["archived_count"], archived["status"]) == (1, "archived")
    assert ok(ws.viewer.get(url("shop", f"/events/{plan['gone']['id']}")))["status"] == "archived"
    history = ok(ws.viewer.get(url("shop", f"/events/{plan['gone']['id']}/history")))
    assert history[0]["changes"][0]["after"] == "archived"
    assert ws.editor.post(url("shop", "/reconciliation/dead-events/archive"), json={"event_ids": []}).status_code \
        == 422
    coverage = ok(ws.viewer.get(url("shop", "/reconciliation/coverage")))
    page = next(row for row in coverage["items"] if row["event_type_name"] == "page")
    assert (page["total_volume"], page["planned_volume"], page["volume_coverage"]) == (180, 60, 0.3333)
    assert coverage["summary"]["total_volume"] == 240
    assert coverage["days"] == 14
    assert ws.viewer.get(url("shop", "/reconciliation/coverage?days=181")).status_code == 422


@pytest.mark.parametrize("who", ["anonymous", "viewer", "read_key", "bound_other", "editor", "write_key",
                                 "bound_key", "owner"])
def test_reconciliation_permissions(ws: Workspace, lake: Path, who: str) -> None:
    _scanned(ws, lake)
    ws.project("other", "Other")
    actors: dict[str, Actor] = {
        "anonymous": ws.anonymous, "viewer": ws.viewer, "editor": ws.editor, "owner": ws.owner,
        "read_key": ws.key(ws.editor, "read"), "write_key": ws.key(ws.editor, "write"),
        "bound_key": ws.key(ws.editor, "write", project_slug="shop"),
        "bound_other": ws.key(ws.editor, "write", project_slug="other")}
    actor = actors[who]
    read = actor.get(url("shop", "/reconciliation/coverage")).status_code
    write = actor.post(url("shop", "/reconciliation/dead-events/archive"),
                       json={"event_ids": [str(uuid.uuid4())]}).status_code
    expected_read = {"anonymous": 401, "bound_other": 404}.get(who, 200)
    expected_write = {"anonymous": 401, "bound_other": 404, "viewer": 403, "read_key": 403}.get(who, 422)
    assert (read, write) == (expected_read, expected_write)
