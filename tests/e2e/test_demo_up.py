"""End to end (slow): `tripl up` on free ports and a fresh state dir brings up a first account and a demo
project; signed in with the printed account, Create Demo Project and Run Scan over HTTP end in a job that
succeeded through the Dagster webserver and daemon, with the plan discovered (events with their
`source_name`, the unplanned event a shadow candidate). Everything is stopped in `finally`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.support import STARTUP_SECONDS, Up, eventually, wait_for_job
from tripl_core.db.engine import Database
from tripl_core.demo.app_events import SHADOW_EVENT
from tripl_core.observe.models import ShadowCandidate
from tripl_core.plan.models import Project

pytestmark = pytest.mark.slow


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "state", tmp_path / "tripl-up.log")
    try:
        yield running
    finally:
        running.stop()


def test_tripl_up_serves_a_working_demo(up: Up, tmp_path: Path) -> None:
    account = eventually(lambda: re.search(r"email\s+(\S+)\n\s+password\s+(\S+)", up.output()), STARTUP_SECONDS,
                         f"printing the first account (output so far:\n{up.output()})")
    email, password = account.group(1), account.group(2)
    saved = tmp_path / "state" / "first-account.txt"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert password in saved.read_text()

    with httpx.Client(base_url=up.api, timeout=60) as client:
        eventually(lambda: client.get("/auth/me").status_code == 401 or None, STARTUP_SECONDS, "the API answering")
        assert client.post("/auth/login", json={"email": email, "password": password}).status_code == 200
        assert [p["slug"] for p in client.get("/projects").json()] == ["demo"]  # made by `tripl up`

        created = client.post("/projects/demo")
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        assert slug == "demo-2"
        [scan] = client.get(f"/projects/{slug}/scans").json()
        [first] = client.get(f"/projects/{slug}/scans/{scan['id']}/jobs").json()
        first_job = wait_for_job(client, slug, scan["id"], first["id"])
        assert first_job["status"] == "succeeded", f"{first_job['error_message']}\n{up.output()[-4000:]}"

        run = client.post(f"/projects/{slug}/scans/{scan['id']}/run")
        assert run.status_code == 202, run.text
        job = wait_for_job(client, slug, scan["id"], run.json()["id"])
        assert job["status"] == "succeeded", (job, up.output()[-4000:])
        assert job["result_summary"]["rows_read"] > 500_000

        events = client.get(f"/projects/{slug}/events", params={"limit": 200}).json()["items"]
        assert events
        assert all(e["source_name"] == e["name"] and e["status"] == "live" for e in events)
        assert SHADOW_EVENT not in {e["name"] for e in events}
        assert SHADOW_EVENT in shadow_identities(client, tmp_path / "state", slug)

        # the demo project `tripl up` made had its first scan launched through Dagster too
        [boot_scan] = client.get("/projects/demo/scans").json()
        boot_jobs = client.get(f"/projects/demo/scans/{boot_scan['id']}/jobs").json()
        assert boot_jobs
        assert wait_for_job(client, "demo", boot_scan["id"], boot_jobs[-1]["id"])["status"] == \
            "succeeded"
    assert "first scan job" in up.output()


def shadow_identities(client: httpx.Client, state_dir: Path, slug: str) -> set[str]:
    """Through List Shadow Events when it is served, else straight from the app database."""
    listed = client.get(f"/projects/{slug}/reconciliation/shadow-events")
    if listed.status_code == 200:
        body = listed.json()
        items = body["items"] if isinstance(body, dict) else body
        return {item.get("identity") or item.get("event_name") or item.get("name") for item in items}
    db = Database(f"sqlite+pysqlite:///{state_dir / 'tripl.db'}")
    try:
        with db.unit_of_work() as session:
            project_id = session.scalar(select(Project.id).where(Project.slug == slug))
            return set(session.scalars(select(ShadowCandidate.identity)
                                       .where(ShadowCandidate.project_id == project_id)))
    finally:
        db.dispose()
