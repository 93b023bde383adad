"""Create Demo Project through HTTP (SEMANTICS §10): the generated chDB warehouse, its data source, the
project and plan from DEMO_PLAN, the scan config, the first scan job; free slugs on repeated calls; who
may call it. The scan's findings are checked in test_demo_scan.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.workspace import Actor, Workspace
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.demo import DEMO_PLAN
from tripl_core.demo.app_events import COUPON_KEY, DEAD_EVENT, SHADOW_EVENT
from tripl_core.demo.project import create_demo_project
from tripl_core.plan.models import Project, Variable
from tripl_core.security import SecretBox
from tripl_core.settings import Settings
from tripl_core.sources.models import DataSource

DEMO = "/api/v1/projects/demo"


def create_demo(actor: Actor) -> dict[str, Any]:
    response = actor.post(DEMO)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_demo_project_is_a_working_project(ws: Workspace, settings: Settings) -> None:
    project = create_demo(ws.editor)
    assert (project["slug"], project["name"]) == ("demo", "Demo shop")
    assert project["summary"]["event_types"] == len(DEMO_PLAN.event_types)
    assert project["summary"]["events"] == len(DEMO_PLAN.events)
    assert ws.viewer.get("/api/v1/projects/demo").json()["id"] == project["id"]

    folder = (settings.state_dir / "warehouses" / "demo").resolve()
    assert (folder / "events.parquet").stat().st_size > 1_000_000
    sources = [s for s in ws.owner.get("/api/v1/data-sources").json() if s["path"] == str(folder)]
    assert [(s["db_type"], s["name"]) for s in sources] == [("chdb", "Demo warehouse (demo)")]

    [scan] = ws.viewer.get("/api/v1/projects/demo/scans").json()
    setup = DEMO_PLAN.scan
    assert scan["data_source_id"] == sources[0]["id"]
    assert (scan["interval"], scan["time_column"], scan["event_type_column"], scan["event_name_format"]) == \
        ("15m", "ts", "event_type", "{event_name}")
    assert scan["metric_breakdown_columns"] == list(setup.metric_breakdown_columns)
    assert scan["distribution_drift_fields"] == list(setup.distribution_drift_fields)
    assert scan["json_value_paths"] == list(setup.json_value_paths)
    assert scan["app_version_column"] == "app_version"
    jobs = ws.viewer.get(f"/api/v1/projects/demo/scans/{scan['id']}/jobs").json()
    assert [job["kind"] for job in jobs] == ["scan"]  # the first scan was launched

    types = {t["name"]: t for t in ws.viewer.get("/api/v1/projects/demo/event-types").json()}
    assert set(types) == {t.name for t in DEMO_PLAN.event_types}
    purchase_fields = {f["name"] for f in types["purchase"]["field_definitions"]}
    assert "properties.currency" in purchase_fields
    assert f"properties.{COUPON_KEY}" not in purchase_fields  # left for the scan to find (new_field)

    events = ws.viewer.get("/api/v1/projects/demo/events", params={"limit": 200}).json()["items"]
    statuses = {e["name"]: e["status"] for e in events}
    assert SHADOW_EVENT not in statuses
    assert statuses[DEAD_EVENT] == "live"
    assert len(statuses) == len(DEMO_PLAN.events)
    meta = ws.viewer.get("/api/v1/projects/demo/meta-fields").json()
    assert {m["name"] for m in meta} == {m.name for m in DEMO_PLAN.meta_fields}
    with ws.db.unit_of_work() as session:
        variables = dict(session.execute(select(Variable.name, Variable.source_name)
                                         .where(Variable.project_id == uuid.UUID(project["id"]))).all())
    assert variables == {v.name: v.source_name for v in DEMO_PLAN.variables}

    activity = ws.viewer.get("/api/v1/activity/projects/demo", params={"limit": 100}).json()
    kinds = {entry["kind"] for entry in activity}
    assert {"project.created", "event_type.created", "event.bulk_created"} <= kinds


def test_repeated_calls_give_free_slugs_and_sources(ws: Workspace, settings: Settings) -> None:
    ws.project("demo", "Someone else's demo")
    (settings.state_dir / "warehouses" / "demo-3").mkdir(parents=True)  # left by a deleted demo project
    first, second = create_demo(ws.owner), create_demo(ws.editor)
    assert (first["slug"], second["slug"]) == ("demo-2", "demo-4")
    assert first["name"] != second["name"]
    with ws.db.unit_of_work() as session:
        names = session.scalars(select(DataSource.name).order_by(DataSource.name)).all()
        paths = session.scalars(select(DataSource.path)).all()
    assert names == ["Demo warehouse (demo-2)", "Demo warehouse (demo-4)"]
    assert {Path(p).name for p in paths} == {"demo-2", "demo-4"}


def test_the_data_ends_at_now_floored_to_15_minutes(ws: Workspace, settings: Settings) -> None:
    assert ws.owner.user is not None
    with ws.db.unit_of_work() as session:
        owner = session.get(User, ws.owner.user.id)
        assert owner is not None
        demo = create_demo_project(session, Principal(owner), SecretBox(settings.resolved_secret_key),
                                   settings.state_dir, None, now=datetime(2026, 3, 2, 10, 44, 59, tzinfo=UTC))
        assert demo.first_job is None  # no launcher, no scan
    assert demo.cases.end == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert demo.cases.days >= 30
    assert demo.project.slug == "demo"


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("viewer", 403), ("read_key", 403),
                                              ("bound_key", 403)])
def test_who_may_not_create_a_demo_project(ws: Workspace, settings: Settings, who: str, status: int) -> None:
    ws.project("shop")
    actors = {"anonymous": ws.anonymous, "viewer": ws.viewer, "read_key": ws.key(ws.owner, "read"),
              "bound_key": ws.key(ws.owner, "write", project_slug="shop")}
    assert actors[who].post(DEMO).status_code == status
    with ws.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 1
    assert not (settings.state_dir / "warehouses" / "demo").exists()


def test_an_unbound_write_key_may(ws: Workspace) -> None:
    assert create_demo(ws.key(ws.editor, "write"))["slug"] == "demo"
