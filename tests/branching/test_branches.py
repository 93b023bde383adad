"""Plan branches through HTTP: copy, diff, conflicts, resolutions, review, merge, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.plan.support import field, make_event, make_type, ok, url
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


def test_conflicts_block_the_merge_until_resolved_and_resolutions_go_stale(ws: Workspace) -> None:
    p = plan(ws)
    branch = open_branch(ws.editor)
    copies = branch_events(ws.editor, branch["id"])
    on_branch = f"/events/{copies['pay']['id']}?branch={branch['id']}"
    ok(ws.editor.patch(url("shop", on_branch), json={"description": "branch's", "status": "live"}))
    ok(ws.editor.patch(url("shop", f"/events/{p['pay']['id']}"), json={"description": "main's"}))

    assert ok(ws.viewer.get(branch_url(branch["id"], "/diff")))["behind_base"] is True
    conflicts = ok(ws.viewer.get(branch_url(branch["id"], "/conflicts")))
    assert conflicts["unresolved_count"] == 1
    [entity] = conflicts["entities"]
    assert (entity["entity_type"], entity["entity_name"], entity["parent"], entity["entity_key"]) == \
        ("event", "pay", "checkout", p["pay"]["id"])
    [conflict] = entity["fields"]
    assert (conflict["field_name"], conflict["base"], conflict["ours"], conflict["theirs"], conflict["resolved"]) == \
        ("description", "Paid", "main's", "branch's", False)

    approve(ws, branch["id"])
    refused = ws.owner.post(branch_url(branch["id"], "/merge"))
    assert refused.status_code == 409
    assert "unresolved" in refused.json()["detail"]

    resolution = {"entity_type": "event", "entity_name": "pay", "field_name": "description"}
    bad = ws.editor.post(branch_url(branch["id"], "/resolutions"), json={**resolution, "choice": "custom",
                                                                          "value": "x" * 10_001})
    assert bad.status_code == 422
    assert "description" in bad.json()["detail"]
    missing = ws.editor.post(branch_url(branch["id"], "/resolutions"),
                             json={**resolution, "field_name": "status", "choice": "ours"})
    assert missing.status_code == 404
    saved = ok(ws.editor.post(branch_url(branch["id"], "/resolutions"), json={**resolution, "choice": "theirs"}),
               201)
    assert (saved["entity_key"], saved["field_name"], saved["choice"]) == (p["pay"]["id"], "description", "theirs")
    assert ok(ws.viewer.get(branch_url(branch["id"], "/conflicts")))["unresolved_count"] == 0

    ok(ws.editor.patch(url("shop", f"/events/{p['pay']['id']}"), json={"description": "main's again"}))
    stale = ok(ws.viewer.get(branch_url(branch["id"], "/conflicts")))
    assert stale["unresolved_count"] == 1
    assert stale["entities"][0]["fields"][0]["stale_resolution_id"] == saved["id"]
    ok(ws.editor.delete(branch_url(branch["id"], f"/resolutions/{saved['id']}")), 204)
    custom = ok(ws.editor.post(branch_url(branch["id"], "/resolutions"),
                               json={**resolution, "choice": "custom", "value": "agreed"}), 201)
    assert custom["value"] == "agreed"

    ok(ws.owner.post(branch_url(branch["id"], "/merge")))
    merged_pay = main_events(ws.viewer)["pay"]
    assert (merged_pay["description"], merged_pay["status"]) == ("agreed", "live")


def test_the_same_new_name_on_both_sides_is_a_conflict(ws: Workspace) -> None:
    p = plan(ws)
    branch = open_branch(ws.editor)
    branch_type = ok(ws.viewer.get(url("shop", f"/event-types?branch={branch['id']}")))[0]
    ok(ws.editor.post(url("shop", f"/events?branch={branch['id']}"),
                      json={"event_type_id": branch_type["id"], "name": "signup", "description": "branch"}), 201)
    make_event(ws.editor, "shop", p["type"]["id"], "signup", description="main")
    [entity] = ok(ws.viewer.get(branch_url(branch["id"], "/conflicts")))["entities"]
    assert entity["entity_name"] == "signup"
    assert entity["fields"][0]["kind"] == "name_taken"
    ok(ws.editor.post(branch_url(branch["id"], "/resolutions"),
                      json={"entity_type": "event", "entity_name": "signup", "field_name": "name",
                            "choice": "custom", "value": "sign_up"}), 201)
    ok(ws.owner.post(branch_url(branch["id"], "/merge?force=true")))
    events = main_events(ws.viewer)
    assert (events["signup"]["description"], events["sign_up"]["description"]) == ("main", "branch")


def test_review_statuses_reviewers_and_stale_approvals(ws: Workspace) -> None:
    plan(ws)
    assert ws.editor.user is not None
    assert ws.viewer.user is not None
    branch = open_branch(ws.owner)
    bid = branch["id"]
    transition = branch_url(bid, "/transition")
    assert ws.editor.post(transition, json={"action": "approve"}).status_code == 409  # draft: submit first
    ok(ws.editor.post(transition, json={"action": "submit"}))
    denied = ws.editor.post(transition, json={"action": "approve"})
    assert denied.status_code == 403
    assert "reviewer" in denied.json()["detail"]
    assert ws.owner.post(branch_url(bid, "/reviewers"), json={"user_id": str(ws.viewer.user.id)}).status_code == 422
    reviewer = ok(ws.owner.post(branch_url(bid, "/reviewers"), json={"user_id": str(ws.editor.user.id)}), 201)
    assert reviewer["user_id"] == str(ws.editor.user.id)
    assert ws.owner.post(branch_url(bid, "/reviewers"), json={"user_id": str(ws.editor.user.id)}).status_code == 409
    ok(ws.editor.post(transition, json={"action": "request_changes"}))
    ok(ws.owner.post(transition, json={"action": "submit"}))
    approved = ok(ws.editor.post(transition, json={"action": "approve"}))
    assert approved["status"] == "approved"
    assert [a["stale"] for a in approved["approvals"]] == [False]
    assert [r["user_id"] for r in approved["reviewers"]] == [str(ws.editor.user.id)]

    copies = branch_events(ws.owner, bid)
    ok(ws.owner.patch(url("shop", f"/events/{copies['pay']['id']}?branch={bid}"), json={"description": "later"}))
    detail = ok(ws.viewer.get(branch_url(bid)))
    assert [a["stale"] for a in detail["approvals"]] == [True]
    refused = ws.editor.post(branch_url(bid, "/merge"))
    assert refused.status_code == 409
    assert "fresh approval" in refused.json()["detail"]
    assert ws.editor.post(branch_url(bid, "/merge?force=true")).status_code == 403
    ok(ws.editor.post(transition, json={"action": "approve"}))
    ok(ws.editor.post(branch_url(bid, "/merge")))

    assert ws.owner.delete(branch_url(bid, f"/reviewers/{ws.editor.user.id}")).status_code == 409  # merged

    kinds = {a["kind"] for a in ok(ws.viewer.get("/api/v1/activity/projects/shop?limit=100"))}
    assert {"branch.created", "branch.reviewer_added", "branch.submit", "branch.request_changes",
            "branch.approve", "branch.merged"} <= kinds
    actions = {e["action"] for e in ok(ws.owner.get("/api/v1/audit?project_slug=shop&limit=200"))["items"]}
    assert {"plan-branches.create_branch", "plan-branches.transition_branch", "plan-branches.add_reviewer",
            "plan-branches.merge_branch"} <= actions


def test_merged_and_closed_branches_are_read_only(ws: Workspace) -> None:
    p = plan(ws)
    merged = open_branch(ws.editor, "merged-one")
    ok(ws.owner.post(branch_url(merged["id"], "/merge?force=true")))
    closed = open_branch(ws.editor, "closed-one")
    ok(ws.editor.post(branch_url(closed["id"], "/transition"), json={"action": "close"}))
    for branch in (merged, closed):
        writes = [
            ws.editor.post(url("shop", f"/events?branch={branch['id']}"),
                           json={"event_type_id": p["type"]["id"], "name": "late"}),
            ws.editor.post(url("shop", f"/variables?branch={branch['id']}"), json={"name": "late"}),
            ws.editor.post(branch_url(branch["id"], "/resolutions"),
                           json={"entity_type": "event", "entity_name": "pay", "field_name": "name",
                                 "choice": "ours"}),
            ws.editor.post(branch_url(branch["id"], "/transition"), json={"action": "submit"}),
            ws.owner.post(branch_url(branch["id"], "/merge?force=true")),
        ]
        assert [w.status_code for w in writes] == [409] * 5, [w.text for w in writes]
        assert ok(ws.viewer.get(url("shop", f"/events?branch={branch['id']}")))["total"] == 2
    ok(ws.editor.post(branch_url(closed["id"], "/transition"), json={"action": "reopen"}))
    ok(ws.editor.post(url("shop", f"/variables?branch={closed['id']}"), json={"name": "late"}), 201)


def test_branch_permissions(ws: Workspace) -> None:
    plan(ws)
    assert ws.viewer.post(url("shop", "/branches"), json={"name": "nope"}).status_code == 403
    branch = open_branch(ws.editor)
    bid = branch["id"]
    assert ok(ws.viewer.get(url("shop", "/branches")))["total"] == 2
    for path in ("", "/diff", "/conflicts", "/comments"):
        ok(ws.viewer.get(branch_url(bid, path)))
    viewer_writes = [
        ws.viewer.post(branch_url(bid, "/comments"), json={"body": "hi"}),
        ws.viewer.post(branch_url(bid, "/transition"), json={"action": "submit"}),
        ws.viewer.post(branch_url(bid, "/merge")),
        ws.viewer.post(url("shop", f"/events?branch={bid}"), json={"event_type_id": bid, "name": "x"}),
        ws.viewer.delete(branch_url(bid)),
        ws.viewer.post(url("shop", "/revisions"), json={}),
    ]
    assert [r.status_code for r in viewer_writes] == [403] * 6
    read_key = ws.key(ws.editor, scope="read")
    assert read_key.post(branch_url(bid, "/comments"), json={"body": "hi"}).status_code == 403
    assert ws.anonymous.get(url("shop", "/branches")).status_code == 401
    assert ws.editor.post(url("shop", "/branches"), json={"name": "main"}).status_code == 409
    assert ws.editor.post(url("shop", "/branches"), json={"name": "feature/checkout"}).status_code == 409
    assert ws.editor.post(url("shop", "/branches"), json={"name": "-bad name"}).status_code == 422
    main_id = ok(ws.viewer.get(url("shop", "/branches")))["items"][0]["id"]
    assert ws.owner.delete(branch_url(main_id)).status_code == 409
    other = open_branch(ws.owner, "owners")
    assert ws.editor.delete(branch_url(other["id"])).status_code == 403
    ok(ws.editor.delete(branch_url(bid)), 204)
    assert ws.viewer.get(branch_url(bid)).status_code == 404


def test_comments_with_one_level_of_replies(ws: Workspace) -> None:
    plan(ws)
    bid = open_branch(ws.editor)["id"]
    top = ok(ws.editor.post(branch_url(bid, "/comments"), json={"body": "Looks good?"}), 201)
    reply = ok(ws.owner.post(branch_url(bid, "/comments"), json={"body": "Yes", "parent_id": top["id"]}), 201)
    assert reply["parent_id"] == top["id"]
    deeper = ws.editor.post(branch_url(bid, "/comments"), json={"body": "no", "parent_id": reply["id"]})
    assert deeper.status_code == 422
    assert ws.editor.post(branch_url(bid, "/comments"), json={"body": ""}).status_code == 422
    assert [c["body"] for c in ok(ws.viewer.get(branch_url(bid, "/comments")))] == ["Looks good?", "Yes"]
    assert ws.editor.delete(branch_url(bid, f"/comments/{reply['id']}")).status_code == 403
    ok(ws.owner.delete(branch_url(bid, f"/comments/{top['id']}")), 204)
    assert ok(ws.viewer.get(branch_url(bid, "/comments"))) == []


def test_revisions_snapshot_the_plan_and_diff(ws: Workspace) -> None:
    p = plan(ws)
    first = ok(ws.editor.post(url("shop", "/revisions"), json={"summary": "before rename"}), 201)
    assert first["entity_counts"]["events"] == 2
    assert first["entity_counts"]["field_values"] == 1
    assert set(first["payload"]["event"]) == {p["pay"]["id"], p["refund"]["id"]}
    ok(ws.editor.patch(url("shop", f"/events/{p['pay']['id']}"), json={"name": "paid"}))
    second = ok(ws.editor.post(url("shop", "/revisions"), json={}), 201)
    listed = ok(ws.viewer.get(url("shop", "/revisions?limit=1")))
    assert listed["total"] == 2
    assert [r["id"] for r in listed["items"]] == [second["id"]]
    assert "payload" not in listed["items"][0]
    assert ok(ws.viewer.get(url("shop", f"/revisions/{first['id']}")))["summary"] == "before rename"
    diff = ok(ws.viewer.get(url("shop", f"/revisions/{first['id']}/diff?compare_to={second['id']}")))
    assert diff["revision_id"] == first["id"]
    assert [(e["kind"], e["name"], e["field_changes"]) for e in diff["entries"]] == \
        [("changed", "paid", [{"field": "name", "before": "pay", "after": "paid"}])]
    main_id = ok(ws.viewer.get(url("shop", "/branches")))["items"][0]["id"]
    against_main = ok(ws.viewer.get(url("shop", f"/revisions/{second['id']}/diff?compare_to={main_id}")))
    assert against_main["entries"] == []
    assert against_main["summary"]["total"] == 0
    unknown = "00000000-0000-0000-0000-000000000000"
    assert ws.viewer.get(url("shop", f"/revisions/{unknown}")).status_code == 404
    assert ws.viewer.get(url("shop", f"/revisions/{first['id']}/diff?compare_to={unknown}")).status_code == 404
    assert ws.viewer.get(url("shop", f"/revisions/{first['id']}/diff")).status_code == 422
    assert ws.editor.post(url("shop", "/revisions"), json={"summary": "x" * 2001}).status_code == 422
