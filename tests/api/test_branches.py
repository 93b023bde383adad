"""Plan branches through HTTP: copy, diff, conflicts, resolutions, review, merge, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.api.plan_support import field, make_event, make_type, ok, url
from tests.support.workspace import Actor, Workspace


def branch_url(branch_id: str, path: str = "") -> str:
    return url("shop", f"/branches/{branch_id}{path}")


def open_branch(actor: Actor, name: str = "feature/checkout") -> dict[str, Any]:
    result: dict[str, Any] = ok(actor.post(url("shop", "/branches"), json={"name": name}), 201)
    return result


def plan(ws: Workspace) -> dict[str, Any]:
    """main: type `checkout` (fields amount, currency) with events `pay` and `refund`."""
    ws.project()
    checkout = make_type(ws.editor, "shop", "checkout", [field("amount", "number"), field("currency")])
    amount, currency = (f["id"] for f in checkout["field_definitions"])
    pay = make_event(ws.editor, "shop", checkout["id"], "pay", description="Paid",
                     field_values=[{"field_id": amount, "value": "${price}"}])
    refund = make_event(ws.editor, "shop", checkout["id"], "refund", tags=["money"])
    return {"type": checkout, "amount": amount, "currency": currency, "pay": pay, "refund": refund}


def branch_events(actor: Actor, branch_id: str) -> dict[str, dict[str, Any]]:
    body = ok(actor.get(url("shop", f"/events?branch={branch_id}")))
    return {e["name"]: e for e in body["items"]}


def main_events(actor: Actor) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in ok(actor.get(url("shop", "/events")))["items"]}


def approve(ws: Workspace, branch_id: str) -> None:
    assert ws.owner.user is not None
    ok(ws.editor.post(branch_url(branch_id, "/transition"), json={"action": "submit"}))
    ok(ws.owner.post(branch_url(branch_id, "/transition"), json={"action": "approve"}))


def test_a_branch_copies_main_and_diffs_and_merges_its_changes(ws: Workspace) -> None:
    p = plan(ws)
    branch = open_branch(ws.editor)
    assert branch["kind"] == "working"
    assert branch["status"] == "draft"
    assert branch["base_revision_id"]
    copies = branch_events(ws.viewer, branch["id"])
    assert set(copies) == {"pay", "refund"}
    assert copies["pay"]["id"] != p["pay"]["id"]
    assert [v["value"] for v in copies["pay"]["field_values"]] == ["${price}"]
    assert copies["refund"]["tags"] == ["money"]

    ok(ws.editor.patch(url("shop", f"/events/{copies['pay']['id']}?branch={branch['id']}"),
                       json={"name": "payment", "description": "Paid by card"}))
    ok(ws.editor.delete(url("shop", f"/events/{copies['refund']['id']}?branch={branch['id']}")), 204)
    branch_type = ok(ws.viewer.get(url("shop", f"/event-types?branch={branch['id']}")))[0]
    ok(ws.editor.post(url("shop", f"/events?branch={branch['id']}"),
                      json={"event_type_id": branch_type["id"], "name": "cancel"}), 201)
    assert set(main_events(ws.viewer)) == {"pay", "refund"}  # main untouched

    diff = ok(ws.viewer.get(branch_url(branch["id"], "/diff")))
    assert diff["behind_base"] is False
    kinds = {(e["entity_type"], e["name"], e["kind"]) for e in diff["entries"]}
    assert kinds == {("event", "payment", "changed"), ("event", "refund", "removed"), ("event", "cancel", "added")}
    renamed = next(e for e in diff["entries"] if e["name"] == "payment")
    assert {c["field"]: (c["before"], c["after"]) for c in renamed["field_changes"]} == {
        "name": ("pay", "payment"), "description": ("Paid", "Paid by card")}
    assert renamed["parent"] == "checkout"
    assert diff["summary"]["added"] == 1
    assert diff["summary"]["removed"] == 1
    assert diff["summary"]["changed"] == 1

    conflicts = ok(ws.viewer.get(branch_url(branch["id"], "/conflicts")))
    assert conflicts == {"entities": [], "unresolved_count": 0, "behind_base": False}

    approve(ws, branch["id"])
    merged = ok(ws.editor.post(branch_url(branch["id"], "/merge")))
    assert merged["status"] == "merged"
    assert merged["merged_by"] == str(ws.editor.user.id)
    after = main_events(ws.viewer)
    assert set(after) == {"payment", "cancel"}
    assert after["payment"]["id"] == p["pay"]["id"]  # a rename is a change of one entity, not delete + add
    assert after["payment"]["description"] == "Paid by card"
    assert [v["value"] for v in after["payment"]["field_values"]] == ["${price}"]
    revisions = ok(ws.viewer.get(url("shop", "/revisions")))
    assert [r["kind"] for r in revisions["items"]] == ["merge", "branch_base"]
    assert revisions["items"][0]["entity_counts"]["events"] == 2
