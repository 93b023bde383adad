from __future__ import annotations

from tests.plan.support import field, make_type, ok, url
from tests.support.workspace import Workspace


def test_create_list_delete_and_foreign_ids(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other", "Other")
    order = make_type(ws.editor, "shop", "order", [field("order_id")])
    pay = make_type(ws.editor, "shop", "payment", [field("order_id")])
    foreign = make_type(ws.editor, "other", "foreign", [field("id")])
    body = {"source_event_type_id": pay["id"], "target_event_type_id": order["id"],
            "source_field_id": pay["field_definitions"][0]["id"],
            "target_field_id": order["field_definitions"][0]["id"]}
    created = ok(ws.editor.post(url("shop", "/relations"), json=body), 201)
    assert (created["relation_type"], created["description"]) == ("belongs_to", "")
    assert [r["id"] for r in ok(ws.viewer.get(url("shop", "/relations")))] == [created["id"]]
    foreign_field = foreign["field_definitions"][0]["id"]
    refused = ws.editor.post(url("shop", "/relations"), json={**body, "target_field_id": foreign_field})
    assert refused.status_code == 422
    assert foreign_field in refused.json()["detail"]
    mismatched = ws.editor.post(url("shop", "/relations"), json={**body, "source_field_id": body["target_field_id"]})
    assert mismatched.status_code == 422
    assert ws.editor.post(url("shop", "/relations"), json={**body, "relation_type": "owns"}).status_code == 422
    assert len(ok(ws.viewer.get(url("shop", "/relations")))) == 1
    assert ws.editor.delete(url("other", f"/relations/{created['id']}")).status_code == 404
    assert ws.editor.delete(url("shop", f"/relations/{created['id']}")).status_code == 204
    assert ok(ws.viewer.get(url("shop", "/relations"))) == []
