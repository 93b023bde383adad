"""End to end (slow) on PostgreSQL, as deployed: `tripl up` with the app database and Dagster's storage
(dagster-postgres) on the test suite's PostgreSQL server, on a state where the demo project already
exists but was never scanned (a start that stopped before its first scan): the stack launches that first
scan itself; then, through HTTP, a scan and a metrics collection (a replay of the last day) end
succeeded on the Dagster daemon, the runs live in the `dagster` database with readable tags, `/readyz`
reports everything ok, and SIGTERM leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.support import (
    JOB_SECONDS,
    STARTUP_SECONDS,
    TRIPL,
    Up,
    diagnostics,
    eventually,
    processes_of,
    wait_for_job,
)
from tests.support.postgres import PostgresServer
from tripl_cli import bootstrap
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.settings import Settings
from tripl_core.warehouse import Interval, bucket_start

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
SECRET = "e2e-postgres-secret-key"


@pytest.fixture
def up(tmp_path: Path, pg_server: PostgresServer) -> Iterator[Up]:
    app_url = pg_server.create_database("tripl_up_app")
    pg_server.create_database("tripl_up_dagster")
    dagster_url = pg_server.url("tripl_up_dagster", driver="psycopg2")
    state = tmp_path / "state"
    upgrade(app_url)
    settings = Settings(state_dir=state, database_url=app_url, secret_key=SECRET)
    db = Database(app_url)
    try:  # what a start that stopped before the first scan leaves: an account and an unscanned demo
        assert bootstrap.ensure_first_account(db, state) is not None
        assert bootstrap.ensure_demo_project(db, settings) is not None
    finally:
        db.dispose()
    running = Up(state, tmp_path / "tripl-up.log", env={"TRIPL_DATABASE_URL": app_url, "TRIPL_SECRET_KEY": SECRET,
                                                        "TRIPL_DAGSTER_POSTGRES_URL": dagster_url})
    try:
        yield running
    finally:
        running.stop()
    assert not processes_of(state), processes_of(state)


def test_tripl_up_on_postgres_scans_and_collects(up: Up, pg_server: PostgresServer) -> None:
    eventually(lambda: "tripl is ready" in up.output() or None, STARTUP_SECONDS, "the stack being ready",
               lambda: up.output()[-4000:])
    password = re.search(r"password: (\S+)", (up.state_dir / "first-account.txt").read_text())
    assert password is not None
    base = up.api.removesuffix("/api/v1")
    ready = httpx.get(f"{base}/readyz", timeout=30).json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "dagster": "ok"}}, ready

    with httpx.Client(base_url=up.api, timeout=60) as client:
        login = client.post("/auth/login", json={"email": bootstrap.FIRST_EMAIL, "password": password.group(1)})
        assert login.status_code == 200, login.text
        [scan] = client.get("/projects/demo/scans").json()
        jobs_url = f"/projects/demo/scans/{scan['id']}/jobs"

        def first_scan() -> dict[str, str] | None:
            jobs = client.get(jobs_url).json()
            return jobs[-1] if jobs else None

        first = eventually(first_scan, STARTUP_SECONDS, "the stack launching the demo's first scan",
                           lambda: diagnostics(up, client, "demo"))
        explain = lambda: diagnostics(up, client, "demo")  # noqa: E731
        done = wait_for_job(client, "demo", scan["id"], first["id"], explain)
        assert done["status"] == "succeeded", diagnostics(up, client, "demo")
        assert "first scan job" in up.output()

        run = client.post(f"/projects/demo/scans/{scan['id']}/run")
        assert run.status_code == 202, run.text
        rescan = wait_for_job(client, "demo", scan["id"], run.json()["id"], explain)
        assert rescan["status"] == "succeeded", diagnostics(up, client, "demo")
        assert rescan["result_summary"]["rows_read"] > 0

        # `tripl scans run` beside the running stack launches on its Dagster (found from the state dir)
        cli = subprocess.run([str(TRIPL), "scans", "run", "demo", scan["name"], "--wait", "--timeout", "900"],
                             capture_output=True, text=True, timeout=1000, env=_cli_env(up))
        assert cli.returncode == 0, (cli.stdout, cli.stderr)
        cli_job = json.loads(cli.stdout)
        assert cli_job["status"] == "succeeded", cli_job

        end = bucket_start(datetime.now(UTC), Interval.MIN_15) - timedelta(hours=1)
        replay = client.post(f"/projects/demo/scans/{scan['id']}/metrics/replay", json={
            "time_from": (end - timedelta(days=1)).isoformat(), "time_to": end.isoformat()})
        assert replay.status_code == 202, replay.text
        collected = eventually(lambda: _finished(client, jobs_url, replay.json()["id"]), JOB_SECONDS,
                               "the metrics collection finishing", lambda: diagnostics(up, client, "demo"))
        assert collected["status"] == "succeeded", (collected, diagnostics(up, client, "demo"))
        assert collected["result_summary"]["metric_points_written"] > 0

    with psycopg.connect(pg_server.libpq_dsn("tripl_up_dagster")) as connection:
        runs = connection.execute("SELECT count(*) FROM runs").fetchone()
        tags = {row[0] for row in connection.execute("SELECT value FROM run_tags WHERE key = 'tripl/project'")}
    assert runs is not None
    assert runs[0] >= 3
    assert tags == {"demo"}
    assert not (up.state_dir / "dagster" / "history" / "runs.db").exists()  # nothing on SQLite


def _cli_env(up: Up) -> dict[str, str]:
    """The environment of a user beside the stack: same state dir and databases, no TRIPL_DAGSTER_URL."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TRIPL_", "DAGSTER_"))}
    return {**env, **up.env}


def _finished(client: httpx.Client, jobs_url: str, job_id: str) -> dict[str, object] | None:
    job: dict[str, object] = client.get(f"{jobs_url}/{job_id}").json()
    return job if job["status"] in ("succeeded", "failed", "cancelled") else None
