from __future__ import annotations

from typing import Any

from tests.plan.support import field, make_event, make_type, ok, url
from tests.support.workspace import Workspace

MISSING = "00000000-0000-0000-0000-000000000000"


def _plan(ws: Workspace) -> dict[str, Any]:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "checkout", [field("page"), field("step", "number")])
    return {"type": t, "page": t["field_definitions"][0]["id"], "step": t["field_definitions"][1]["id"]}


def test_create_get_and_defaults(ws: Workspace) -> None:
    plan = _plan(ws)
    event = make_event(ws.editor, "shop", plan["type"]["id"], "  checkout_started ",
                       tags=[" Web ", "web", "FUNNEL", ""], field_values=[{"field_id": plan["page"], "value": "/cart"}])
    assert event["name"] == "checkout_started"
    assert (event["status"], event["reviewed"], event["order"], event["drift_count"]) == ("draft", False, 0, 0)
    assert event["tags"] == ["funnel", "web"]
    assert event["event_type"]["name"] == "checkout"
    assert event["field_values"] == [{"field_id": plan["page"], "field_name": "page", "value": "/cart",
                                      "authored": True}]
    assert event["warnings"] == []
    assert ok(ws.viewer.get(url("shop", f"/events/{event['id']}"))) == event
    assert ok(ws.viewer.get(url("shop", "/events/tags"))) == ["funnel", "web"]
    second = make_event(ws.editor, "shop", plan["type"]["id"], "checkout_done")
    assert second["order"] == 1


def test_duplicate_name_names_the_holder(ws: Workspace) -> None:
    plan = _plan(ws)
    first = make_event(ws.editor, "shop", plan["type"]["id"], "a")
    again = ws.editor.post(url("shop", "/events"), json={"event_type_id": plan["type"]["id"], "name": "a"})
    assert again.status_code == 409
    assert first["id"] in again.json()["detail"]
    other = make_event(ws.editor, "shop", plan["type"]["id"], "b")
    renamed = ws.editor.patch(url("shop", f"/events/{other['id']}"), json={"name": "a"})
    assert renamed.status_code == 409
    assert first["id"] in renamed.json()["detail"]


def test_status_lifecycle_clears_sunset(ws: Workspace) -> None:
    plan = _plan(ws)
    event = make_event(ws.editor, "shop", plan["type"]["id"], "old", status="deprecated",
                       sunset_at="2030-01-01T00:00:00Z")
    assert event["sunset_at"] == "2030-01-01T00:00:00Z"
    live = ok(ws.editor.patch(url("shop", f"/events/{event['id']}"), json={"status": "live"}))
    assert live["sunset_at"] is None
    refused = ws.editor.patch(url("shop", f"/events/{event['id']}"), json={"sunset_at": "2030-01-01T00:00:00Z"})
    assert refused.status_code == 422
    assert "deprecated" in refused.json()["detail"]
    bad = ws.editor.patch(url("shop", f"/events/{event['id']}"), json={"status": "gone"})
    assert bad.status_code == 422


def test_templates_warn_and_values_are_authored_until_cleared(ws: Workspace) -> None:
    plan = _plan(ws)
    ok(ws.editor.post(url("shop", "/variables"), json={"name": "user_id"}), 201)
    event = make_event(ws.editor, "shop", plan["type"]["id"], "e", field_values=[
        {"field_id": plan["page"], "value": "/u/${user_id}/${unknown_thing}"}])
    assert len(event["warnings"]) == 1
    assert "${unknown_thing}" in event["warnings"][0]
    assert "field_values.page" in event["warnings"][0]
    cleared = ok(ws.editor.patch(url("shop", f"/events/{event['id']}"),
                                 json={"field_values": [{"field_id": plan["page"], "value": ""}]}))
    assert cleared["field_values"] == []
    assert cleared["warnings"] == []


def test_values_must_belong_to_the_type_and_fit(ws: Workspace) -> None:
    plan = _plan(ws)
    other = make_type(ws.editor, "shop", "other", [field("x")])
    wrong = ws.editor.post(url("shop", "/events"), json={
        "event_type_id": plan["type"]["id"], "name": "e",
        "field_values": [{"field_id": other["field_definitions"][0]["id"], "value": "v"}]})
    assert wrong.status_code == 422
    assert other["field_definitions"][0]["id"] in wrong.json()["detail"]
    huge = ws.editor.post(url("shop", "/events"), json={
        "event_type_id": plan["type"]["id"], "name": "e",
        "field_values": [{"field_id": plan["page"], "value": "x" * 100_001}]})
    assert huge.status_code == 422
    long_name = ws.editor.post(url("shop", "/events"), json={"event_type_id": plan["type"]["id"], "name": "x" * 501})
    assert long_name.status_code == 422
    long_tag = ws.editor.post(url("shop", "/events"), json={"event_type_id": plan["type"]["id"], "name": "e",
                                                            "tags": ["t" * 101]})
    assert long_tag.status_code == 422
    assert ok(ws.viewer.get(url("shop", "/events")))["total"] == 0


def test_ids_of_another_project(ws: Workspace) -> None:
    plan = _plan(ws)
    ws.project("other", "Other")
    foreign_type = make_type(ws.editor, "other", "foreign")
    foreign_event = make_event(ws.editor, "other", foreign_type["id"], "f")
    created = ws.editor.post(url("shop", "/events"), json={"event_type_id": foreign_type["id"], "name": "x"})
    assert created.status_code == 422
    assert foreign_type["id"] in created.json()["detail"]
    assert ws.viewer.get(url("shop", f"/events/{foreign_event['id']}")).status_code == 404
    assert ws.editor.delete(url("shop", f"/events/{foreign_event['id']}")).status_code == 404
    mine = make_event(ws.editor, "shop", plan["type"]["id"], "mine")
    bulk = ws.editor.post(url("shop", "/events/bulk-delete"), json={"event_ids": [mine["id"], foreign_event["id"]]})
    assert bulk.status_code == 422
    assert foreign_event["id"] in bulk.json()["detail"]
    assert ok(ws.viewer.get(url("shop", "/events")))["total"] == 1


def test_history_field_by_field_newest_first(ws: Workspace) -> None:
    plan = _plan(ws)
    event = make_event(ws.editor, "shop", plan["type"]["id"], "e")
    ok(ws.editor.patch(url("shop", f"/events/{event['id']}"), json={
        "status": "live", "tags": ["A"], "field_values": [{"field_id": plan["step"], "value": "3"}]}))
    ok(ws.owner.patch(url("shop", f"/events/{event['id']}"), json={"description": "Now described"}))
    entries = ok(ws.viewer.get(url("shop", f"/events/{event['id']}/history")))
    assert [e["action"] for e in entries] == ["updated", "updated", "created"]
    assert entries[0]["actor_name"] == "Owner"
    assert entries[0]["changes"] == [{"field": "description", "before": "", "after": "Now described"}]
    assert {c["field"]: (c["before"], c["after"]) for c in entries[1]["changes"]} == {
        "status": ("draft", "live"), "tags": ([], ["a"]), "field_values.step": (None, "3")}
    assert entries[1]["actor_name"] == "Editor"
    assert entries[2]["changes"][0] == {"field": "name", "before": None, "after": "e"}
    assert entries[0]["created_at"] >= entries[1]["created_at"] >= entries[2]["created_at"]


def test_list_filters(ws: Workspace) -> None:
    plan = _plan(ws)
    other = make_type(ws.editor, "shop", "browse")
    meta = ok(ws.editor.post(url("shop", "/meta-fields"),
                             json={"name": "team", "display_name": "Team", "field_type": "string"}), 201)
    a = make_event(ws.editor, "shop", plan["type"]["id"], "cart_viewed", description="Shows the CART",
                   tags=["web"], field_values=[{"field_id": plan["page"], "value": "/cart/page"}],
                   meta_values=[{"meta_field_id": meta["id"], "value": "growth-team"}])
    b = make_event(ws.editor, "shop", plan["type"]["id"], "paid", status="live")
    c = make_event(ws.editor, "shop", other["id"], "home_viewed", status="archived")

    def ids(query: str) -> list[str]:
        body = ok(ws.viewer.get(url("shop", f"/events{query}")))
        assert body["total"] == len(body["items"])
        return [e["id"] for e in body["items"]]

    assert ids("") == [a["id"], b["id"]]
    assert ids("?status=archived") == [c["id"]]
    assert ids("?status=live&status=archived") == [b["id"], c["id"]]
    assert ids("?search=cart") == [a["id"]]
    assert ids("?search=%25") == []
    assert ids("?tag=WEB") == [a["id"]]
    assert ids(f"?event_type_id={other['id']}&status=archived") == [c["id"]]
    assert ids("?field_value=CART/p") == [a["id"]]
    assert ids("?meta_value=growth") == [a["id"]]
    assert ids("?silent_since_days=7") == [a["id"], b["id"]]
    page = ok(ws.viewer.get(url("shop", "/events?limit=1&offset=1")))
    assert (page["total"], [e["id"] for e in page["items"]]) == (2, [b["id"]])
    assert ws.viewer.get(url("shop", "/events?limit=0")).status_code == 422
    assert ws.viewer.get(url("shop", "/events?status=nope")).status_code == 422


def test_by_name_and_bulk_update_tags(ws: Workspace) -> None:
    plan = _plan(ws)
    other = make_type(ws.editor, "shop", "browse")
    a = make_event(ws.editor, "shop", plan["type"]["id"], "viewed", tags=["x"])
    b = make_event(ws.editor, "shop", plan["type"]["id"], "clicked", tags=["y"])
    assert ok(ws.viewer.get(url("shop", "/events/by-name?name=clicked")))["id"] == b["id"]
    assert ws.viewer.get(url("shop", "/events/by-name?name=nothing")).status_code == 404
    make_event(ws.editor, "shop", other["id"], "viewed")
    assert ws.viewer.get(url("shop", "/events/by-name?name=viewed")).status_code == 409
    chosen = ok(ws.viewer.get(url("shop", f"/events/by-name?name=viewed&event_type_id={plan['type']['id']}")))
    assert chosen["id"] == a["id"]
    tags = url("shop", "/events/bulk-update-tags")
    added = ok(ws.editor.post(tags, json={"ids": [a["id"], b["id"]], "action": "add", "tags": ["New ", "x"]}))
    assert [e["tags"] for e in added] == [["new", "x"], ["new", "x", "y"]]
    removed = ok(ws.editor.post(tags, json={"ids": [a["id"], b["id"]], "action": "remove", "tags": ["x"]}))
    assert [e["tags"] for e in removed] == [["new"], ["new", "y"]]
    replaced = ok(ws.editor.post(tags, json={"ids": [b["id"]], "action": "set", "tags": ["only"]}))
    assert replaced[0]["tags"] == ["only"]
    assert ws.editor.post(tags, json={"ids": [], "action": "set", "tags": []}).status_code == 422
    assert ws.editor.post(tags, json={"ids": [a["id"]], "action": "merge", "tags": []}).status_code == 422


def test_bulk_create_is_all_or_nothing(ws: Workspace) -> None:
    plan = _plan(ws)
    tid = plan["type"]["id"]
    items = [{"event_type_id": tid, "name": f"e{i}", "field_values": [{"field_id": plan["page"], "value": f"/{i}"}]}
             for i in range(10)]
    bad = [*items[:2], {"event_type_id": tid, "name": "e0"}, *items[2:]]
    refused = ws.editor.post(url("shop", "/events/bulk"), json=bad)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Event 3 of 11:")
    wrong_type = [*items[:3], {"event_type_id": tid, "name": "z", "status": "bogus"}]
    assert ws.editor.post(url("shop", "/events/bulk"), json=wrong_type).status_code == 422
    assert ws.editor.post(url("shop", "/events/bulk"), json=[]).status_code == 422
    assert ok(ws.viewer.get(url("shop", "/events")))["total"] == 0
    created = ok(ws.editor.post(url("shop", "/events/bulk"), json=items), 201)
    assert [e["order"] for e in created] == list(range(10))
    assert created[4]["field_values"][0]["value"] == "/4"
    existing = ws.editor.post(url("shop", "/events/bulk"), json=[{"event_type_id": tid, "name": "new"},
                                                                 {"event_type_id": tid, "name": "e5"}])
    assert existing.status_code == 409
    assert existing.json()["detail"].startswith("Event 2 of 2:")
    assert created[5]["id"] in existing.json()["detail"]


def test_bulk_update_and_delete(ws: Workspace) -> None:
    plan = _plan(ws)
    tid = plan["type"]["id"]
    events = ok(ws.editor.post(url("shop", "/events/bulk"),
                               json=[{"event_type_id": tid, "name": f"e{i}"} for i in range(4)]), 201)
    ids = [e["id"] for e in events]
    updated = ok(ws.editor.post(url("shop", "/events/bulk-update"),
                                json={"event_ids": ids[:2], "status": "deprecated", "reviewed": True,
                                      "sunset_at": "2031-05-01T00:00:00Z"}))
    assert [(e["status"], e["reviewed"], e["sunset_at"]) for e in updated] == [
        ("deprecated", True, "2031-05-01T00:00:00Z")] * 2
    refused = ws.editor.post(url("shop", "/events/bulk-update"),
                             json={"event_ids": [ids[0], ids[2]], "sunset_at": "2032-01-01T00:00:00Z"})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("Event 2 of 2:")
    assert ok(ws.viewer.get(url("shop", f"/events/{ids[0]}")))["sunset_at"] == "2031-05-01T00:00:00Z"
    assert ws.editor.post(url("shop", "/events/bulk-update"), json={"event_ids": []}).status_code == 422
    assert ws.editor.post(url("shop", "/events/bulk-delete"), json={"event_ids": [ids[1], MISSING]}).status_code == 422
    assert ws.editor.post(url("shop", "/events/bulk-delete"), json={"event_ids": ids[1:3]}).status_code == 204
    remaining = ok(ws.viewer.get(url("shop", "/events")))["items"]
    assert [(e["name"], e["order"]) for e in remaining] == [("e0", 0), ("e3", 1)]
    assert ws.editor.delete(url("shop", f"/events/{ids[0]}")).status_code == 204
    assert ws.viewer.get(url("shop", f"/events/{ids[0]}")).status_code == 404


def test_reorder_and_move(ws: Workspace) -> None:
    plan = _plan(ws)
    tid = plan["type"]["id"]
    ids = [e["id"] for e in ok(ws.editor.post(url("shop", "/events/bulk"),
                                              json=[{"event_type_id": tid, "name": f"e{i}"} for i in range(4)]), 201)]
    reordered = ok(ws.editor.patch(url("shop", "/events/reorder"), json={"event_ids": ids[::-1]}))
    assert [e["id"] for e in reordered] == ids[::-1]
    assert [e["order"] for e in reordered] == [0, 1, 2, 3]
    partial = ws.editor.patch(url("shop", "/events/reorder"), json={"event_ids": ids[:2]})
    assert partial.status_code == 422
    assert "e2" in partial.json()["detail"]
    # order is now e3, e2, e1, e0; moving e0 up with only e3 and e0 visible swaps it with e3
    moved = ok(ws.editor.patch(url("shop", f"/events/{ids[0]}/move"),
                               json={"direction": "up", "visible_event_ids": [ids[3], ids[0]]}))
    assert moved["order"] == 0
    names = [e["name"] for e in ok(ws.viewer.get(url("shop", "/events")))["items"]]
    assert names == ["e0", "e2", "e1", "e3"]
    ok(ws.editor.patch(url("shop", f"/events/{ids[2]}/move"), json={"direction": "down"}))
    names = [e["name"] for e in ok(ws.viewer.get(url("shop", "/events")))["items"]]
    assert names == ["e0", "e1", "e2", "e3"]
    top = ok(ws.editor.patch(url("shop", f"/events/{ids[0]}/move"), json={"direction": "up"}))
    assert top["order"] == 0
    assert ws.editor.patch(url("shop", f"/events/{ids[0]}/move"), json={"direction": "left"}).status_code == 422


def test_plan_changes_reach_activity_and_audit(ws: Workspace) -> None:
    plan = _plan(ws)
    event = make_event(ws.editor, "shop", plan["type"]["id"], "e")
    activity = ok(ws.viewer.get("/api/v1/activity/projects/shop?limit=50"))
    assert any(a["kind"] == "event.created" and a["entity_id"] == event["id"] for a in activity)
    audit = ok(ws.owner.get("/api/v1/audit?limit=200"))
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert any(r["path"] == "/api/v1/projects/shop/events" and r["method"] == "POST" for r in rows)
