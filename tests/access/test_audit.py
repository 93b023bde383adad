from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import func, select

from tests.support.workspace import Workspace
from tripl_core.access.models import AuditEntry
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings
from tripl_pipelines.definitions import build_definitions
from tripl_pipelines.resources import AppDatabase


def audit_count(ws: Workspace) -> int:
    with ws.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_each_mutating_request_writes_one_entry_and_reads_write_none(ws: Workspace) -> None:
    ws.editor.post("/api/v1/projects", json={"name": "Shop", "slug": "shop"})
    ws.editor.patch("/api/v1/projects/shop", json={"description": "d"})
    ws.viewer.get("/api/v1/projects")
    ws.viewer.get("/api/v1/projects/shop")
    page = ws.owner.get("/api/v1/audit").json()
    assert page["total"] == 2
    update, create = page["items"]
    assert create["action"] == "projects.create_project"
    assert create["user_email"] == "editor@example.com"
    assert create["project_slug"] == "shop"
    assert create["target_type"] == "project"
    assert create["target_id"] == ws.owner.get("/api/v1/projects/shop").json()["id"]
    assert create["details"]["request"] == {"name": "Shop", "slug": "shop"}
    assert create["status_code"] == 201
    assert create["ip_address"] == "testclient"
    assert update["action"] == "projects.update_project"
    assert update["method"] == "PATCH"
    assert update["created_at"].endswith("Z")


def test_rejected_requests_write_nothing(ws: Workspace) -> None:
    ws.project("shop")
    before = audit_count(ws)
    ws.owner.post("/api/v1/projects", json={"name": "Dup", "slug": "shop"})       # 409
    ws.viewer.patch("/api/v1/projects/shop", json={"name": "x"})                  # 403
    ws.owner.post("/api/v1/projects", json={"name": "Bad", "slug": "Bad Slug"})   # 422
    ws.anonymous.post("/api/v1/projects", json={"name": "A", "slug": "a"})        # 401
    assert audit_count(ws) == before


def test_secrets_never_reach_the_log(ws: Workspace) -> None:
    ws.anonymous.post("/api/v1/auth/register", json={"email": "new@example.com", "password": "very-secret-pw"})
    created = ws.owner.post("/api/v1/me/api-keys", json={"name": "ci"}).json()
    entries = ws.owner.get("/api/v1/audit").json()["items"]
    text = str(entries)
    assert "very-secret-pw" not in text
    assert created["token"] not in text
    register = next(e for e in entries if e["action"] == "auth.register")
    assert register["details"]["request"]["password"] == "***"
    assert register["user_email"] == "new@example.com"


def test_every_filter(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other")
    ws.editor.patch("/api/v1/projects/other", json={"description": "x"})

    def items(**params: object) -> list[dict[str, object]]:
        response = ws.owner.get("/api/v1/audit", params=params)
        assert response.status_code == 200, response.text
        result: list[dict[str, object]] = response.json()["items"]
        return result

    assert {e["project_slug"] for e in items(project_slug="other")} == {"other"}
    assert len(items(project_slug="other")) == 2
    assert [e["action"] for e in items(action="projects.update_project")] == ["projects.update_project"]
    assert len(items(action="projects.")) == 3
    assert ws.editor.user is not None
    assert [e["user_email"] for e in items(user_id=str(ws.editor.user.id))] == ["editor@example.com"]
    assert len(items(user_email="EDITOR@example.com")) == 1
    now = utcnow()
    assert len(items(since=(now - timedelta(minutes=5)).isoformat())) == 3
    assert items(since=(now + timedelta(minutes=5)).isoformat()) == []
    assert items(until=(now - timedelta(minutes=5)).isoformat()) == []
    assert len(items(until=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"))) == 3
    page = ws.owner.get("/api/v1/audit", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3
    assert len(page["items"]) == 1
    assert ws.owner.get("/api/v1/audit", params={"limit": 201}).status_code == 422
    assert ws.owner.get("/api/v1/audit", params={"since": "yesterday"}).status_code == 422
    assert ws.owner.get("/api/v1/audit", params={"user_id": "nope"}).status_code == 422


def test_a_bound_key_sees_only_its_projects_audit(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other")
    bound = ws.key(ws.owner, "read", project_slug="other")
    assert {e["project_slug"] for e in bound.get("/api/v1/audit").json()["items"]} == {"other"}


def test_target_filters_cursor_paging_and_export(ws: Workspace) -> None:
    shop = ws.project("shop")
    for n in range(4):
        ws.editor.patch("/api/v1/projects/shop", json={"description": f"v{n}"})
    ws.project("other")

    by_target = ws.owner.get("/api/v1/audit", params={"target_type": "project", "target_id": shop["id"]}).json()
    assert by_target["total"] == 5
    assert {e["target_id"] for e in by_target["items"]} == {shop["id"]}
    assert ws.owner.get("/api/v1/audit", params={"target_type": "event"}).json()["total"] == 0

    seen: list[str] = []
    params: dict[str, object] = {"limit": 2}
    while True:
        page = ws.owner.get("/api/v1/audit", params=params).json()
        assert page["total"] == 6 + len(seen) // 2  # every match, the newer ones included
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
        ws.editor.patch("/api/v1/projects/other", json={"description": f"later {len(seen)}"})  # new head entries
    whole = ws.owner.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    assert seen == [e["id"] for e in whole][-6:]  # the cursor held its place while entries arrived
    assert ws.owner.get("/api/v1/audit", params={"limit": 1, "offset": 1}).json()["next_cursor"] is not None
    assert ws.owner.get("/api/v1/audit", params={"cursor": "not-a-cursor"}).status_code == 422
    assert ws.owner.get("/api/v1/audit", params={"cursor": page["items"][0]["id"], "offset": 2}).status_code == 422

    jsonl = ws.owner.get("/api/v1/audit/export", params={"format": "jsonl", "project_slug": "shop"})
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    listed = ws.owner.get("/api/v1/audit", params={"project_slug": "shop", "limit": 200}).json()["items"]
    assert lines == listed
    exported = ws.owner.get("/api/v1/audit/export", params={"format": "csv", "target_id": shop["id"]})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["id"] for r in rows] == [e["id"] for e in by_target["items"]]
    assert json.loads(rows[-1]["details"])["request"] == {"name": "Shop", "slug": "shop"}
    assert ws.owner.get("/api/v1/audit/export", params={"format": "xml"}).status_code == 422
    assert ws.editor.get("/api/v1/audit/export").status_code == 403
    bound = ws.key(ws.owner, "read", project_slug="other")
    assert {json.loads(line)["project_slug"] for line in bound.get("/api/v1/audit/export").text.splitlines()} == \
        {"other"}


def test_retention_prunes_old_entries_from_a_dagster_run(ws: Workspace, settings: Settings) -> None:
    ws.project("shop")
    with ws.db.unit_of_work() as session:
        entries = list(session.scalars(select(AuditEntry)))
        entries[0].created_at = utcnow() - timedelta(days=40)
    kept = audit_count(ws) - 1
    definitions = build_definitions(AppDatabase(database_url=settings.resolved_database_url))
    result = definitions.resolve_job_def("prune_audit_log").execute_in_process(
        run_config={"ops": {"prune_audit_entries": {"config": {"retention_days": 30}}}})
    assert result.success
    assert result.output_for_node("prune_audit_entries") == 1
    assert audit_count(ws) == kept
    assert "prune_audit_log_schedule" in [s.name for s in definitions.schedules]
