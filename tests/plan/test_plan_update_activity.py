"""A PATCH of a plan row writes one `<kind>.updated` activity entry naming the row by its new name, with
the attributes that changed (before and after); a PATCH that changes nothing writes none."""

from __future__ import annotations

from typing import Any

from tests.plan.support import make_type, ok, url
from tests.support.workspace import Workspace


def _updates(ws: Workspace) -> list[dict[str, Any]]:
    feed = ok(ws.viewer.get("/api/v1/activity/projects/shop"))
    return [entry for entry in feed if entry["kind"].endswith(".updated")]


def test_each_plan_update_is_one_activity_entry_with_its_changes(ws: Workspace) -> None:
    ws.project("shop")
    checkout = make_type(ws.editor, "shop", fields=[{"name": "amount", "display_name": "Amount",
                                                     "field_type": "number"}])
    field_id = checkout["field_definitions"][0]["id"]
    team = ok(ws.editor.post(url("shop", "/meta-fields"), json={"name": "team", "display_name": "Team",
                                                                "field_type": "string"}), 201)
    user = ok(ws.editor.post(url("shop", "/variables"), json={"name": "user_id", "variable_type": "string"}), 201)

    ok(ws.editor.patch(url("shop", f"/event-types/{checkout['id']}"), json={"display_name": "Purchase"}))
    ok(ws.editor.patch(url("shop", f"/event-types/{checkout['id']}/fields/{field_id}"),
                       json={"description": "in cents"}))
    ok(ws.editor.patch(url("shop", f"/meta-fields/{team['id']}"), json={"display_name": "Owning team"}))
    ok(ws.editor.patch(url("shop", f"/variables/{user['id']}"), json={"name": "account_id"}))
    ok(ws.editor.patch("/api/v1/projects/shop", json={"name": "Shop & Co"}))

    entries = {entry["kind"]: entry for entry in _updates(ws)}
    assert {kind: (e["entity_name"], e["summary"]) for kind, e in entries.items()} == {
        "event_type.updated": ("checkout", "Updated event type checkout: display_name"),
        "field.updated": ("checkout.amount", "Updated field checkout.amount: description"),
        "meta_field.updated": ("team", "Updated meta field team: display_name"),
        "variable.updated": ("account_id", "Updated variable ${account_id}: name (renamed from ${user_id}; "
                                           "0 values rewritten)"),
        "project.updated": ("Shop & Co", "Updated project Shop & Co: name"),
    }
    assert entries["event_type.updated"]["details"]["changes"] == {"display_name": {"before": "Checkout",
                                                                                    "after": "Purchase"}}
    assert entries["field.updated"]["details"]["changes"] == {"description": {"before": "", "after": "in cents"}}
    assert entries["event_type.updated"]["entity_id"] == checkout["id"]


def test_a_patch_that_changes_nothing_records_nothing(ws: Workspace) -> None:
    ws.project("shop")
    checkout = make_type(ws.editor, "shop")
    ok(ws.editor.patch(url("shop", f"/event-types/{checkout['id']}"), json={"display_name": "Checkout"}))
    ok(ws.editor.patch("/api/v1/projects/shop", json={}))
    assert _updates(ws) == []
