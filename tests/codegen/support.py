"""The awkward plan written through the API (the codegen and export tests read it back)."""

from __future__ import annotations

from tests.codegen.plans import AWKWARD_EVENTS, awkward_type_bodies
from tests.support.workspace import Workspace


def write_awkward_plan(ws: Workspace, slug: str = "awkward") -> None:
    ws.project(slug, "Awkward")
    base = f"/api/v1/projects/{slug}"
    type_ids = {}
    for body in awkward_type_bodies():
        created = ws.editor.post(f"{base}/event-types", json=body)
        assert created.status_code == 201, created.text
        type_ids[body["name"]] = created.json()["id"]
    bulk = [{"event_type_id": type_ids[type_name], "name": name, "description": description, "status": status}
            for type_name, name, description, status in AWKWARD_EVENTS]
    created = ws.editor.post(f"{base}/events/bulk", json=bulk)
    assert created.status_code == 201, created.text
