"""`tripl branches list|create|diff|merge` as a script or CI runs them: a refused `merge` as a real process
(environment, exit status and stderr), the other steps in-process through the same app (tests/cli/support.py)."""

from __future__ import annotations

import json

from tests.branching.test_branches import branch_events, main_events, plan
from tests.cli.support import app_env, invoke, run
from tests.plan.support import ok, url
from tests.support.workspace import Workspace
from tripl_core.settings import Settings


def test_branches_create_diff_and_merge_from_the_command_line(ws: Workspace, settings: Settings) -> None:
    p = plan(ws)
    env = app_env(settings)
    created = invoke("branches", "create", "shop", "ci-branch", "--as", "editor@example.com", env=env)
    assert created.returncode == 0, created.stderr
    branch = json.loads(created.stdout)
    assert (branch["name"], branch["status"]) == ("ci-branch", "draft")
    listed = invoke("branches", "list", "shop", env=env)
    assert [b["name"] for b in json.loads(listed.stdout)] == ["main", "ci-branch"]

    copies = branch_events(ws.editor, branch["id"])
    ok(ws.editor.patch(url("shop", f"/events/{copies['pay']['id']}?branch={branch['id']}"),
                       json={"description": "from ci"}))
    ok(ws.editor.patch(url("shop", f"/events/{p['pay']['id']}"), json={"description": "on main"}))
    diffed = invoke("branches", "diff", "shop", "ci-branch", "--fail-on-conflicts", env=env)
    assert diffed.returncode == 1, diffed.stderr
    body = json.loads(diffed.stdout)
    assert [(e["name"], e["kind"]) for e in body["entries"]] == [("pay", "changed")]
    assert body["behind_base"] is True
    assert body["conflicts"]["unresolved_count"] == 1

    refused = run("branches", "merge", "shop", "ci-branch", "--as", "owner@example.com", env=env)
    assert refused.returncode == 2
    assert "approved" in refused.stderr
    ok(ws.editor.post(url("shop", f"/branches/{branch['id']}/resolutions"),
                      json={"entity_type": "event", "entity_name": "pay", "field_name": "description",
                            "choice": "theirs"}), 201)
    merged = invoke("branches", "merge", "shop", branch["id"], "--force", "--as", "owner@example.com", env=env)
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["status"] == "merged"
    assert main_events(ws.viewer)["pay"]["description"] == "from ci"
    audit = ok(ws.owner.get("/api/v1/audit?project_slug=shop&action=plan-branches.merge_branch"))
    assert [e["method"] for e in audit["items"]] == ["CLI"]
