"""A merge racing a write to main: one wins cleanly and nothing is half-applied, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.branching.test_branches import branch_events, branch_url, main_events, open_branch, plan
from tests.plan.support import ok, url
from tests.support.workspace import Workspace


def race(*calls: Any) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_a_merge_racing_a_write_to_main_is_all_or_nothing(ws: Workspace) -> None:
    p = plan(ws)
    owner, editor = ws.key(ws.owner), ws.key(ws.editor)  # header auth: safe from threads
    for round_number in range(3):
        branch = open_branch(ws.editor, f"race-{round_number}")
        bid = branch["id"]
        copies = branch_events(ws.editor, bid)
        ok(ws.editor.patch(url("shop", f"/events/{copies['pay']['id']}?branch={bid}"),
                           json={"description": f"branch {round_number}"}))
        branch_type = ok(ws.editor.get(url("shop", f"/event-types?branch={bid}")))[0]
        ok(ws.editor.post(url("shop", f"/events?branch={bid}"),
                          json={"event_type_id": branch_type["id"], "name": f"new-{round_number}"}), 201)
        main_write = f"main {round_number}"

        merge, write = race(lambda: owner.post(branch_url(bid, "/merge?force=true")),  # noqa: B023
                            lambda: editor.patch(url("shop", f"/events/{p['pay']['id']}"),
                                                 json={"description": main_write}))  # noqa: B023
        assert write.status_code == 200, write.text
        events = main_events(ws.viewer)
        status = ok(ws.viewer.get(branch_url(bid)))["status"]
        if merge.status_code == 200:  # the merge went first; the write then changed the merged description
            assert status == "merged"
            assert f"new-{round_number}" in events
            assert events["pay"]["description"] == main_write
            assert ok(ws.viewer.get(url("shop", "/revisions")))["items"][0]["kind"] == "merge"
        else:  # the write went first: now both sides changed the description, and the merge refused whole
            assert merge.status_code == 409, merge.text
            assert status == "draft"
            assert f"new-{round_number}" not in events
            assert events["pay"]["description"] == main_write
            ok(ws.editor.post(branch_url(bid, "/transition"), json={"action": "close"}))
