from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tests.support.workspace import Workspace
from tripl_core.plan.models import Branch, Project


def count_projects(ws: Workspace) -> int:
    with ws.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(Project)) or 0)


def test_create_get_update_delete(ws: Workspace) -> None:
    created = ws.editor.post("/api/v1/projects", json={"name": "Shop", "slug": "shop", "description": "web"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "shop"
    assert body["description"] == "web"
    assert isinstance(body["summary"], dict)
    uuid.UUID(body["id"])

    assert ws.viewer.get("/api/v1/projects/shop").json()["id"] == body["id"]
    assert [p["slug"] for p in ws.viewer.get("/api/v1/projects").json()] == ["shop"]

    renamed = ws.editor.patch("/api/v1/projects/shop", json={"name": "Store", "slug": "store"})
    assert renamed.status_code == 200
    assert renamed.json()["slug"] == "store"
    assert ws.viewer.get("/api/v1/projects/shop").status_code == 404

    assert ws.owner.delete("/api/v1/projects/store").status_code == 204
    assert ws.owner.get("/api/v1/projects/store").status_code == 404


def test_a_project_is_created_with_one_main_branch(ws: Workspace) -> None:
    project = ws.project("shop")
    with ws.db.unit_of_work() as session:
        branches = session.scalars(select(Branch).where(Branch.project_id == uuid.UUID(project["id"]))).all()
    assert [(b.name, b.kind) for b in branches] == [("main", "main")]


def test_duplicate_slug_is_409_and_changes_nothing(ws: Workspace) -> None:
    ws.project("shop")
    again = ws.owner.post("/api/v1/projects", json={"name": "Other", "slug": "shop"})
    assert again.status_code == 409
    assert "shop" in again.json()["detail"]
    ws.project("other", "Other")
    taken = ws.owner.patch("/api/v1/projects/other", json={"slug": "shop", "name": "Renamed"})
    assert taken.status_code == 409
    assert ws.owner.get("/api/v1/projects/other").json()["name"] == "Other"
    assert count_projects(ws) == 2


def test_bad_input_names_the_problem_and_changes_nothing(ws: Workspace) -> None:
    cases = [
        ({"name": "X", "slug": "Bad Slug"}, "slug"),
        ({"name": "X", "slug": "-leading"}, "slug"),
        ({"name": "X", "slug": "double--dash"}, "slug"),
        ({"name": "", "slug": "ok"}, "name"),
        ({"name": "x" * 256, "slug": "ok"}, "name"),
        ({"name": "X", "slug": "a" * 256}, "slug"),
        ({"name": 12, "slug": "ok"}, "name"),
        ({"slug": "ok"}, "name"),
        ({"name": "X", "slug": "ok", "unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        response = ws.owner.post("/api/v1/projects", json=body)
        assert response.status_code == 422, (body, response.text)
        payload = response.json()
        assert payload["code"] == "invalid_input"
        assert field in payload["detail"], (body, payload)
        assert payload["errors"][0]["loc"][-1] == field
    not_json = ws.owner.post("/api/v1/projects", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    assert count_projects(ws) == 0


def test_unknown_project_is_404_with_a_message(ws: Workspace) -> None:
    response = ws.viewer.get("/api/v1/projects/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Project 'nope' not found", "code": "not_found", "errors": []}


def test_project_changes_appear_in_activity(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other")
    ws.editor.patch("/api/v1/projects/shop", json={"description": "new"})
    feed = ws.viewer.get("/api/v1/activity/projects/shop").json()
    assert [e["kind"] for e in feed] == ["project.updated", "project.created"]
    assert feed[0]["actor_name"] == "Editor"
    assert feed[0]["details"]["changes"]["description"] == {"before": "", "after": "new"}
    workspace_feed = ws.viewer.get("/api/v1/activity", params={"limit": 2}).json()
    assert [e["project_slug"] for e in workspace_feed] == ["shop", "other"]
    assert ws.viewer.get("/api/v1/activity", params={"limit": 101}).status_code == 422


def test_deleted_project_stays_in_workspace_activity(ws: Workspace) -> None:
    ws.project("shop")
    ws.owner.delete("/api/v1/projects/shop")
    feed = ws.viewer.get("/api/v1/activity").json()
    assert feed[0]["kind"] == "project.deleted"
    assert feed[0]["project_slug"] == "shop"
    assert feed[0]["project_id"] is None
