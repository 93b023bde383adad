"""`tripl scans run` as a user runs it: in-process launcher when asked (`--in-process`), JSON job on stdout,
exit status from the job's outcome; without a running stack or TRIPL_DAGSTER_URL it refuses, saying how.
The refusal (which depends on the process's environment and state dir) runs as a real process; the run
and the unknown scan run in-process through the same app (tests/cli/support.py), the Dagster run in this
process as `--in-process` asks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import app_env, invoke, run
from tests.scans.support import create_scan
from tests.sources.support import chdb_body, create_source, lake_fixture
from tests.support.workspace import Workspace
from tripl_core.settings import Settings


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lake_fixture(tmp_path_factory)


def _env(settings: Settings) -> dict[str, str]:
    return app_env(settings, TRIPL_DAGSTER_URL="")


def test_scans_run_prints_the_finished_job(ws: Workspace, lake: Path, settings: Settings) -> None:
    ws.project("shop")
    scan = create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)), name="web events")
    result = invoke("scans", "run", "shop", "web events", "--wait", "--in-process", env=_env(settings))
    job = json.loads(result.stdout)
    assert job["scan_config_id"] == scan["id"]
    assert job["kind"] == "scan"
    assert job["status"] in ("succeeded", "failed")
    assert result.returncode == (0 if job["status"] == "succeeded" else 1), result.stderr
    listed = ws.owner.get(f"/api/v1/projects/shop/scans/{scan['id']}/jobs").json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert listed[0]["status"] == job["status"]


def test_scans_run_names_an_unknown_scan(ws: Workspace, settings: Settings) -> None:
    ws.project("shop")
    result = invoke("scans", "run", "shop", "nope", "--in-process", env=_env(settings))
    assert result.returncode == 2
    assert "Scan config 'nope' not found" in result.stderr


def test_scans_run_without_a_stack_asks_for_one(ws: Workspace, lake: Path, settings: Settings) -> None:
    ws.project("shop")
    create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)), name="web events")
    result = run("scans", "run", "shop", "web events", env=_env(settings))
    assert result.returncode == 2
    assert "no running `tripl up` found" in result.stderr
    assert "--in-process" in result.stderr
    scan_id = ws.owner.get("/api/v1/projects/shop/scans").json()[0]["id"]
    assert ws.owner.get(f"/api/v1/projects/shop/scans/{scan_id}/jobs").json() == []
