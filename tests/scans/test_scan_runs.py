"""Scan jobs through HTTP with the in-process launcher (the same Dagster definitions, executed in a
thread): Apply Scan Event Groups end to end, one job at a time per project, cancel, deleted configs,
the job list, and an API created without a launcher."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.scans.support import SCANS, create_scan, wait_for_scan_job
from tests.sources.support import chdb_body, create_source
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.plan.models import Event, EventType
from tripl_core.settings import Settings
from tripl_pipelines.launcher import InProcessLauncher

URL = SCANS.format(slug="shop")
RULES = [{"name": "tapped", "condition_logic": "any",
          "conditions": [{"field": "screen", "pattern": "^home"}, {"field": "category", "pattern": "^buy$"}]}]


client = launching.client
launcher = launching.launcher


@pytest.fixture
def scan(ws: Workspace, lake: Path) -> dict[str, Any]:
    ws.project("shop")
    return create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)), event_group_rules=RULES,
                       base_query="SELECT id, ts, category, category AS screen FROM events")


def _plan(ws: Workspace) -> dict[str, dict[str, str]]:
    """Event type name → {event name: status}, archived events included."""
    with ws.db.unit_of_work() as session:
        rows = session.execute(select(EventType.name, Event.name, Event.status)
                               .join(Event, Event.event_type_id == EventType.id)).all()
    plan: dict[str, dict[str, str]] = {}
    for type_name, event_name, status in rows:
        plan.setdefault(type_name, {})[event_name] = status
    return plan


def _event_type_with_events(ws: Workspace, name: str, screens: dict[str, str]) -> None:
    event_type = ws.owner.post("/api/v1/projects/shop/event-types", json={"name": name}).json()
    field = ws.owner.post(f"/api/v1/projects/shop/event-types/{event_type['id']}/fields",
                          json={"name": "screen", "display_name": "Screen", "field_type": "string"}).json()
    for event, screen in screens.items():
        created = ws.owner.post("/api/v1/projects/shop/events", json={
            "event_type_id": event_type["id"], "name": event,
            "field_values": [{"field_id": field["id"], "value": screen}]})
        assert created.status_code == 201, created.text


def test_apply_event_groups_folds_covered_events(ws: Workspace, scan: dict[str, Any]) -> None:
    _event_type_with_events(ws, "click", {"home_a": "home_a", "home_b": "home_b", "cart": "cart",
                                          "tmpl": "${screen}"})
    _event_type_with_events(ws, "buy", {"order": "checkout"})
    response = ws.editor.post(f"{URL}/{scan['id']}/event-groups/apply")
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["scan_config_id"] == scan["id"]
    assert job["kind"] == "apply_groups"
    done = wait_for_scan_job(ws.owner, scan, job["id"])
    assert done["status"] == "succeeded", done
    assert done["result_summary"] == {"rules": 1, "events_folded": 3, "events_created": 2}
    plan = _plan(ws)
    assert plan["click"] == {"home_a": "archived", "home_b": "archived", "cart": "draft", "tmpl": "draft",
                             "tapped": "in_review"}
    assert plan["buy"] == {"order": "archived", "tapped": "in_review"}
    jobs = ws.viewer.get(f"{URL}/{scan['id']}/jobs").json()
    assert [j["id"] for j in jobs] == [job["id"]]


def test_one_scan_job_at_a_time_per_project(ws: Workspace, scan: dict[str, Any], db: Database) -> None:
    with db.unit_of_work() as session:  # a job another process is running
        session.add(Job(kind="scan", project_id=uuid.UUID(scan["project_id"]),
                        scan_config_id=uuid.UUID(scan["id"]),
                        status=JobStatus.running.value, external_run_id="elsewhere"))
    refused = ws.editor.post(f"{URL}/{scan['id']}/run")
    assert refused.status_code == 409, refused.text
    assert "running" in refused.json()["detail"]
    assert ws.editor.post(f"{URL}/{scan['id']}/event-groups/apply").status_code == 409


def test_cancel_a_running_job_then_a_finished_one(ws: Workspace, scan: dict[str, Any], db: Database) -> None:
    with db.unit_of_work() as session:
        running = Job(kind="scan", project_id=uuid.UUID(scan["project_id"]),
                        scan_config_id=uuid.UUID(scan["id"]),
                      status=JobStatus.running.value)
        session.add(running)
        session.flush()
        job_id = str(running.id)
    cancel = f"{URL}/{scan['id']}/jobs/{job_id}/cancel"
    assert ws.viewer.post(cancel).status_code == 403
    answered = ws.editor.post(cancel)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "cancelling"
    with db.unit_of_work() as session:
        job = session.get(Job, running.id)
        assert job is not None
        job.status = JobStatus.cancelled.value
    assert ws.editor.post(cancel).status_code == 409


def test_a_pending_job_is_cancelled_at_once_and_its_run_ends_cleanly(
        ws: Workspace, scan: dict[str, Any], db: Database, launcher: InProcessLauncher) -> None:
    with db.unit_of_work() as session:
        pending = Job(kind="apply_groups", project_id=uuid.UUID(scan["project_id"]),
                        scan_config_id=uuid.UUID(scan["id"]),
                      status=JobStatus.pending.value)
        session.add(pending)
        session.flush()
    answered = ws.editor.post(f"{URL}/{scan['id']}/jobs/{pending.id}/cancel").json()
    assert answered["status"] == "cancelled"
    with db.unit_of_work() as session:  # its run starts anyway (queued before the cancel): it does nothing
        job = session.get(Job, pending.id)
        assert job is not None
        run_id = launcher.launch(job)
    assert launcher.wait(run_id, 60)
    after = ws.owner.get(f"{URL}/{scan['id']}/jobs/{pending.id}").json()
    assert after["status"] == "cancelled"
    assert after["result_summary"] == {}


def test_deleting_the_config_of_a_queued_run_cancels_it(ws: Workspace, scan: dict[str, Any], db: Database,
                                                        launcher: InProcessLauncher) -> None:
    with db.unit_of_work() as session:
        pending = Job(kind="apply_groups", project_id=uuid.UUID(scan["project_id"]),
                        scan_config_id=uuid.UUID(scan["id"]),
                      status=JobStatus.pending.value)
        session.add(pending)
        session.flush()
        session.expunge(pending)
    assert ws.owner.delete(f"{URL}/{scan['id']}").status_code == 204
    run_id = launcher.launch(pending)  # the run was queued with the partition of the deleted config
    assert launcher.wait(run_id, 60)
    with db.unit_of_work() as session:
        job = session.get(Job, pending.id)
        assert job is not None
        assert (job.status, job.scan_config_id) == ("cancelled", None)
        assert "deleted" in (job.error_message or "")


def test_without_a_launcher_runs_fail_saying_so(settings: Settings, lake: Path, db: Database) -> None:
    with TestClient(create_app(settings)) as bare:
        ws = Workspace.create(bare, db)
        ws.project("shop")
        scan = create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)))
        job = ws.editor.post(f"{URL}/{scan['id']}/run").json()
        assert job["status"] == "failed"
        assert "no Dagster is configured" in job["error_message"]
        assert ws.editor.post(f"{URL}/{scan['id']}/run").status_code == 202  # a failed job blocks nothing


def test_status_checks_during_a_running_run_never_fail(ws: Workspace, scan: dict[str, Any], db: Database,
                                                       launcher: InProcessLauncher) -> None:
    """Get Scan Job and the job mirroring ask the launcher for a run's status while the run's own thread
    writes its events; the instance must take both at once (an in-memory shared-cache SQLite storage
    answered 'database table is locked: runs' here)."""
    job = ws.editor.post(f"{URL}/{scan['id']}/run").json()
    with db.unit_of_work() as session:
        row = session.get(Job, uuid.UUID(job["id"]))
        assert row is not None
        assert row.external_run_id is not None
        run_id = row.external_run_id

    def hammer() -> set[JobStatus | None]:
        seen = set()
        while not launcher.wait(run_id, 0):
            seen.add(launcher.status(run_id))  # raised sqlite3.OperationalError before
        return seen | {launcher.status(run_id)}

    with ThreadPoolExecutor(4) as pool:
        statuses = set().union(*pool.map(lambda _: hammer(), range(4)))
    assert JobStatus.succeeded in statuses
    assert wait_for_scan_job(ws.owner, scan, job["id"])["status"] == "succeeded"
