from __future__ import annotations

from tests.plan.support import field, make_event, make_type, ok, url
from tests.support.workspace import Workspace


def test_crud_pattern_and_uniqueness(ws: Workspace) -> None:
    ws.project("shop")
    created = ok(ws.editor.post(url("shop", "/variables"), json={"name": "user_id"}), 201)
    assert (created["variable_type"], created["description"], created["event_count"]) == ("string", "", 0)
    assert created["sample_values"] == []
    for bad in ("User", "1abc", "a-b", "a" * 101, ""):
        assert ws.editor.post(url("shop", "/variables"), json={"name": bad}).status_code == 422, bad
    assert ws.editor.post(url("shop", "/variables"), json={"name": "x", "variable_type": "blob"}).status_code == 422
    dup = ws.editor.post(url("shop", "/variables"), json={"name": "user_id"})
    assert dup.status_code == 409
    assert created["id"] in dup.json()["detail"]
    other = ok(ws.editor.post(url("shop", "/variables"), json={"name": "other"}), 201)
    taken = ws.editor.patch(url("shop", f"/variables/{other['id']}"), json={"name": "user_id"})
    assert taken.status_code == 409
    ok(ws.editor.patch(url("shop", f"/variables/{other['id']}"), json={"variable_type": "number_array"}))
    assert ws.editor.delete(url("shop", f"/variables/{other['id']}")).status_code == 204
    assert [v["name"] for v in ok(ws.viewer.get(url("shop", "/variables")))] == ["user_id"]


def test_usage_counts_and_rename_rewrites_every_value(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "page", [field("path")])
    path = t["field_definitions"][0]["id"]
    team = ok(ws.editor.post(url("shop", "/meta-fields"),
                             json={"name": "owner", "display_name": "Owner", "field_type": "string"}), 201)
    user = ok(ws.editor.post(url("shop", "/variables"), json={"name": "user_id"}), 201)
    ok(ws.editor.post(url("shop", "/variables"), json={"name": "userxid"}), 201)
    a = make_event(ws.editor, "shop", t["id"], "a", field_values=[{"field_id": path, "value": "/u/${user_id}/x"}])
    b = make_event(ws.editor, "shop", t["id"], "b", meta_values=[{"meta_field_id": team["id"],
                                                                  "value": "${user_id}-${userxid}"}])
    make_event(ws.editor, "shop", t["id"], "c", field_values=[{"field_id": path, "value": "/${userxid}"}])
    counts = {v["name"]: v["event_count"] for v in ok(ws.viewer.get(url("shop", "/variables")))}
    assert counts == {"user_id": 2, "userxid": 2}
    renamed = ok(ws.editor.patch(url("shop", f"/variables/{user['id']}"), json={"name": "account_id"}))
    assert renamed["name"] == "account_id"
    assert renamed["event_count"] == 2
    got_a = ok(ws.viewer.get(url("shop", f"/events/{a['id']}")))
    got_b = ok(ws.viewer.get(url("shop", f"/events/{b['id']}")))
    assert got_a["field_values"][0]["value"] == "/u/${account_id}/x"
    assert got_b["meta_values"][0]["value"] == "${account_id}-${userxid}"
    assert got_a["warnings"] == []
    history = ok(ws.viewer.get(url("shop", f"/events/{a['id']}/history")))
    assert history[0]["action"] == "variable_renamed"
    assert history[0]["changes"] == [{"field": "field_values.path", "before": "/u/${user_id}/x",
                                      "after": "/u/${account_id}/x"}]
    assert ws.editor.delete(url("shop", f"/variables/{user['id']}")).status_code == 204
    assert "${account_id}" in ok(ws.viewer.get(url("shop", f"/events/{a['id']}")))["warnings"][0]
