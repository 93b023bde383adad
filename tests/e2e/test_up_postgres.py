"""End to end (slow) on PostgreSQL, as deployed: `tripl up` with the app database and Dagster's storage
(dagster-postgres) on the test suite's PostgreSQL server, on a state where a project over a small chDB
warehouse already exists but was never scanned (a start that stopped before its first scan): the stack
launches that first scan itself; then `tripl scans run` beside the stack and a metrics collection launched
through HTTP (a replay of the last day, its job row ended by the daemon's run status sensor) end succeeded
on the Dagster daemon, the runs live in the `dagster` database with readable tags, `/readyz` reports
everything ok, and SIGTERM leaves no process behind.

What is not repeated here, because the SQLite stack (test_demo_stack.py) proves it and nothing in it depends
on the database: the demo project (its generation, its 28-day first collection and its alerts) and a Run Scan
over HTTP. A small warehouse keeps the metrics sensor's first collection of the project (28 days, requested
as soon as the daemon sees the config) a matter of seconds, so the replay does not queue behind it."""

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
from sqlalchemy import select

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
from tests.scans.support import EVENTS_QUERY
from tests.sources.support import recent_rows, write_parquet
from tests.support.postgres import PostgresServer
from tripl_cli import bootstrap
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.plan import projects
from tripl_core.plan.schemas import ProjectCreate
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.schemas import ScanSettings
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.schemas import DataSourceCreate
from tripl_core.warehouse import Interval, bucket_start

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
SECRET = "e2e-postgres-secret-key"
SLUG = "shop"


@pytest.fixture
def up(tmp_path: Path, pg_server: PostgresServer) -> Iterator[Up]:
    app_url = pg_server.create_database("tripl_up_app")
    pg_server.create_database("tripl_up_dagster")
    dagster_url = pg_server.url("tripl_up_dagster", driver="psycopg2")
    state = tmp_path / "state"
    upgrade(app_url)
    lake = write_parquet(tmp_path / "lake", recent_rows())  # 24 rows over the last hours
    db = Database(app_url)
    try:  # what a start that stopped before the first scan leaves: an account and an unscanned project
        assert bootstrap.ensure_first_account(db, state) is not None
        _unscanned_project(db, lake)
    finally:
        db.dispose()
    running = Up(state, tmp_path / "tripl-up.log", env={"TRIPL_DATABASE_URL": app_url, "TRIPL_SECRET_KEY": SECRET,
                                                        "TRIPL_DAGSTER_POSTGRES_URL": dagster_url})
    try:
        yield running
    finally:
        running.stop()
    assert not processes_of(state), processes_of(state)


def _unscanned_project(db: Database, lake: Path) -> None:
    """A project, its chDB data source and a 15-minute scan config, written as Create Project, Create Data
    Source and Create Scan Config would, and never scanned."""
    with db.unit_of_work() as session:
        owner = session.scalar(select(User))
        assert owner is not None
        source = data_sources.create(session, SecretBox(SECRET), DataSourceCreate(name="Lake", db_type="chdb",
                                                                                  path=str(lake)))
        project = projects.create(session, Principal(owner), ProjectCreate(name="Shop", slug=SLUG))
        scan = ScanSettings(name="events", base_query=EVENTS_QUERY, event_type_column="category", time_column="ts",
                            interval="15m")
        session.add(ScanConfig(project_id=project.id, data_source_id=source.id, **scan.stored()))


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
        [scan] = client.get(f"/projects/{SLUG}/scans").json()
        jobs_url = f"/projects/{SLUG}/scans/{scan['id']}/jobs"
        explain = lambda: diagnostics(up, client, SLUG)  # noqa: E731

        def first_scan() -> dict[str, str] | None:
            jobs = client.get(jobs_url).json()
            return jobs[-1] if jobs else None

        first = eventually(first_scan, STARTUP_SECONDS, "the stack launching the project's first scan", explain)
        done = wait_for_job(client, SLUG, scan["id"], first["id"], explain)
        assert done["status"] == "succeeded", explain()
        assert done["result_summary"]["rows_read"] == len(recent_rows())
        assert "first scan job" in up.output()

        # `tripl scans run` beside the running stack launches on its Dagster (found from the state dir)
        cli = subprocess.run([str(TRIPL), "scans", "run", SLUG, scan["name"], "--wait", "--timeout", "900"],
                             capture_output=True, text=True, timeout=1000, env=_cli_env(up))
        assert cli.returncode == 0, (cli.stdout, cli.stderr)
        cli_job = json.loads(cli.stdout)
        assert cli_job["status"] == "succeeded", cli_job
        assert cli_job["result_summary"]["rows_read"] > 0

        end = bucket_start(datetime.now(UTC), Interval.MIN_15) - timedelta(hours=1)
        replay = client.post(f"/projects/{SLUG}/scans/{scan['id']}/metrics/replay", json={
            "time_from": (end - timedelta(days=1)).isoformat(), "time_to": end.isoformat()})
        assert replay.status_code == 202, replay.text
        collected = eventually(lambda: _finished(client, jobs_url, replay.json()["id"]), JOB_SECONDS,
                               "the metrics collection finishing", explain)
        assert collected["status"] == "succeeded", (collected, explain())
        assert collected["result_summary"]["metric_points_written"] > 0

    with psycopg.connect(pg_server.libpq_dsn("tripl_up_dagster")) as connection:
        runs = connection.execute("SELECT count(*) FROM runs").fetchone()
        tags = {row[0] for row in connection.execute("SELECT value FROM run_tags WHERE key = 'tripl/project'")}
    assert runs is not None
    assert runs[0] >= 3
    assert tags == {SLUG}
    assert not (up.state_dir / "dagster" / "history" / "runs.db").exists()  # nothing on SQLite


def _cli_env(up: Up) -> dict[str, str]:
    """The environment of a user beside the stack: same state dir and databases, no TRIPL_DAGSTER_URL."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TRIPL_", "DAGSTER_"))}
    return {**env, **up.env}


def _finished(client: httpx.Client, jobs_url: str, job_id: str) -> dict[str, object] | None:
    job: dict[str, object] = client.get(f"{jobs_url}/{job_id}").json()
    return job if job["status"] in ("succeeded", "failed", "cancelled") else None
