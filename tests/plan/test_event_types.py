from __future__ import annotations

from tests.plan.support import field, make_event, make_type, ok, url
from tests.support.workspace import Workspace


def test_create_with_defaults_and_fields(ws: Workspace) -> None:
    ws.project("shop")
    created = ok(ws.editor.post(url("shop", "/event-types"), json={
        "name": "checkout_step", "field_definitions": [field("step", "number"), field("page")]}), 201)
    assert created["display_name"] == "Checkout Step"
    assert created["color"] == "#6366f1"
    assert created["description"] == ""
    assert [f["name"] for f in created["field_definitions"]] == ["step", "page"]
    assert created["created_at"].endswith("Z")
    listed = ok(ws.viewer.get(url("shop", "/event-types")))
    assert [t["id"] for t in listed] == [created["id"]]
    got = ok(ws.viewer.get(url("shop", f"/event-types/{created['id']}")))
    assert got["field_definitions"][0]["field_type"] == "number"


def test_name_is_unique_and_limits_apply(ws: Workspace) -> None:
    ws.project("shop")
    first = make_type(ws.editor, "shop", "checkout")
    again = ws.editor.post(url("shop", "/event-types"), json={"name": "checkout", "display_name": "X"})
    assert again.status_code == 409
    assert first["id"] in again.json()["detail"]
    assert ws.editor.post(url("shop", "/event-types"), json={"name": "x" * 101}).status_code == 422
    assert ws.editor.post(url("shop", "/event-types"), json={"name": "ok", "color": "red"}).status_code == 422
    assert ws.editor.post(url("shop", "/event-types"), json={"name": "ok", "bogus": 1}).status_code == 422
    assert len(ok(ws.viewer.get(url("shop", "/event-types")))) == 1


def test_update_and_unknown_ids(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other", "Other")
    t = make_type(ws.editor, "shop", "checkout")
    updated = ok(ws.editor.patch(url("shop", f"/event-types/{t['id']}"),
                                 json={"display_name": "Checkout!", "color": "#000000", "order": 4}))
    assert (updated["display_name"], updated["color"], updated["order"]) == ("Checkout!", "#000000", 4)
    assert ws.viewer.get(url("other", f"/event-types/{t['id']}")).status_code == 404
    assert ws.editor.patch(url("other", f"/event-types/{t['id']}"), json={"order": 1}).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert ws.viewer.get(url("shop", f"/event-types/{missing}")).status_code == 404
    assert ws.viewer.get(url("shop", f"/event-types?branch={missing}")).status_code == 404


def test_delete_removes_events_fields_and_relations(ws: Workspace) -> None:
    ws.project("shop")
    a = make_type(ws.editor, "shop", "order", [field("order_id")])
    b = make_type(ws.editor, "shop", "payment", [field("order_id")])
    make_event(ws.editor, "shop", a["id"], "order_placed")
    ok(ws.editor.post(url("shop", "/relations"), json={
        "source_event_type_id": b["id"], "target_event_type_id": a["id"],
        "source_field_id": b["field_definitions"][0]["id"], "target_field_id": a["field_definitions"][0]["id"]}), 201)
    assert ws.editor.delete(url("shop", f"/event-types/{a['id']}")).status_code == 204
    assert ok(ws.viewer.get(url("shop", "/relations"))) == []
    assert ok(ws.viewer.get(url("shop", "/events")))["total"] == 0
    assert ws.viewer.get(url("shop", f"/event-types/{a['id']}")).status_code == 404
    activity = ok(ws.viewer.get("/api/v1/activity/projects/shop?limit=50"))
    assert any(e["kind"] == "event_type.deleted" for e in activity)


def test_owners(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "checkout")
    assert ws.viewer.user is not None
    owner = ok(ws.editor.post(url("shop", f"/event-types/{t['id']}/owners"),
                              json={"user_id": str(ws.viewer.user.id)}), 201)
    assert owner["user_email"] == "viewer@example.com"
    assert owner["granted_by"] == str(ws.editor.user.id) if ws.editor.user else False
    again = ws.editor.post(url("shop", f"/event-types/{t['id']}/owners"), json={"user_id": str(ws.viewer.user.id)})
    assert again.status_code == 409
    unknown = ws.editor.post(url("shop", f"/event-types/{t['id']}/owners"),
                             json={"user_id": "00000000-0000-0000-0000-000000000001"})
    assert unknown.status_code == 422
    assert [o["id"] for o in ok(ws.viewer.get(url("shop", f"/event-types/{t['id']}/owners")))] == [owner["id"]]
    assert ws.editor.delete(url("shop", f"/event-types/{t['id']}/owners/{owner['id']}")).status_code == 204
    assert ws.editor.delete(url("shop", f"/event-types/{t['id']}/owners/{owner['id']}")).status_code == 404
    assert ok(ws.viewer.get(url("shop", f"/event-types/{t['id']}/owners"))) == []


def test_project_summary_counts_the_plan(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "checkout")
    make_event(ws.editor, "shop", t["id"], "a")
    make_event(ws.editor, "shop", t["id"], "b", status="live")
    ok(ws.editor.post(url("shop", "/variables"), json={"name": "user_id"}), 201)
    summary = ok(ws.viewer.get(url("shop")))["summary"]
    assert summary["event_types"] == 1
    assert summary["events"] == 2
    assert summary["events_by_status"]["live"] == 1
    assert summary["events_by_status"]["draft"] == 1
    assert summary["variables"] == 1
