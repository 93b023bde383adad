"""End to end (slow): `tripl up` on free ports and a fresh state dir brings up a first account and a demo
project; signed in with the printed account, Create Demo Project and Run Scan over HTTP end in a job that
succeeded through the Dagster webserver and daemon, with the plan discovered (events with their
`source_name`, the unplanned event a shadow candidate). Everything is stopped in `finally`."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from tripl_core.db.engine import Database
from tripl_core.demo.catalog import SHADOW_EVENT
from tripl_core.observe.models import ShadowCandidate
from tripl_core.plan.models import Project

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRIPL = Path(sys.executable).parent / "tripl"
STARTUP_SECONDS = 180  # generous: CI machines are shared
JOB_SECONDS = 300
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eventually(check: Callable[[], T | None], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


class Up:
    """A running `tripl up`, its output collected in a file (read while it runs)."""

    def __init__(self, state_dir: Path, log: Path) -> None:
        self.api_port, self.dagster_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}/api/v1"
        self.log = log
        env = {key: value for key, value in os.environ.items() if not key.startswith(("TRIPL_", "DAGSTER_"))}
        env |= {"TRIPL_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"}
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [str(TRIPL), "up", "--port", str(self.api_port), "--dagster-port", str(self.dagster_port)],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        else:  # the supervisor is gone; its children must not outlive the test
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._out.close()


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


def wait_for_job(client: httpx.Client, slug: str, scan_id: str, job_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/projects/{slug}/scans/{scan_id}/jobs/{job_id}").json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return eventually(finished, JOB_SECONDS, f"job {job_id} finishing")


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
