"""Scheduled metrics collections have job rows; a collection that fails because the warehouse is gone
stays listed as a failed window until it is retried or dismissed; the retry (through the API, in-process
Dagster) collects the same window once the warehouse is back, and its points are complete, not doubled."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.metrics import support as ms
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_core.metrics import store
from tripl_core.metrics.models import MetricDay, Scope
from tripl_core.scans.launching import METRICS_JOB, PARTITIONS, window_run_config
from tripl_pipelines.launcher import InProcessLauncher

JOBS = "/api/v1/projects/shop/jobs"

client = launching.client  # the app with the in-process Dagster launcher
launcher = launching.launcher


@pytest.fixture(scope="module")
def pristine_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("pristine") / "lake")  # generated once: rows made in Python


@pytest.fixture(scope="module")
def lake_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module's tests: the chDB engine process of a folder (~2 s of CPU to start) serves
    them all, instead of one engine per test's folder."""
    folder = tmp_path_factory.mktemp("metrics-jobs") / "lake"  # its parent is where tests hide the file
    folder.mkdir()
    return folder


@pytest.fixture
def lake(pristine_lake: Path, lake_folder: Path) -> Path:
    """The tests break the lake (move its file away): each starts from the pristine file, put back."""
    for leftover in lake_folder.iterdir():
        leftover.unlink()
    shutil.copy(pristine_lake / "app_events.parquet", lake_folder / "app_events.parquet")
    return lake_folder


def _scheduled_run(launcher: InProcessLauncher, config_id: str, time_from: datetime, time_to: datetime) -> bool:
    """What the metrics sensor requests: the `scan_metrics` job for the partition, the window as its config."""
    if not launcher.instance.has_dynamic_partition(PARTITIONS, config_id):
        launcher.instance.add_dynamic_partitions(PARTITIONS, [config_id])
    result = launcher.definitions.resolve_job_def(METRICS_JOB).execute_in_process(
        instance=launcher.instance, partition_key=config_id, raise_on_error=False,
        run_config=window_run_config(METRICS_JOB, time_from, time_to))
    return bool(result.success)


def _points(ws: Workspace, config_id: str, time_from: datetime, time_to: datetime) -> tuple[int, int]:
    """(metric points, rows counted by the project-total points) in the window."""
    with ws.db.unit_of_work() as session:
        points = store.count_points(session, MetricDay, uuid.UUID(config_id), time_from, time_to)
        totals = store.series(session, MetricDay, uuid.UUID(config_id), time_from, time_to,
                              MetricDay.scope == Scope.project_total.value)
    return points, sum(sum(found.values()) for found in totals.values())


def _warehouse_rows(lake: Path, time_from: datetime, time_to: datetime) -> int:
    ts = pq.read_table(lake / "app_events.parquet", columns=["ts"])["ts"]
    inside = pc.and_(pc.greater_equal(ts, time_from), pc.less(ts, time_to))
    return int(pc.sum(pc.cast(inside, "int64")).as_py())


def _wait(ws: Workspace, launcher: InProcessLauncher, job: dict[str, Any]) -> dict[str, Any]:
    assert job["external_run_id"], job
    assert launcher.wait(job["external_run_id"], timeout=300)
    finished: dict[str, Any] = ws.viewer.get(f"{JOBS}/{job['id']}").json()
    return finished


def test_a_failed_window_is_listed_retried_and_complete(ws: Workspace, lake: Path,
                                                        launcher: InProcessLauncher) -> None:
    shop = ms.metrics_project(ws, lake)
    config_id = shop["scan"]["id"]
    first = (ms.START, ms.START + timedelta(days=2))
    failing = (ms.START + timedelta(days=2), ms.START + timedelta(days=4))

    assert _scheduled_run(launcher, config_id, *first)
    [collected] = ws.viewer.get(JOBS, params={"kind": "metrics"}).json()["items"]
    assert (collected["status"], collected["scan_config_id"]) == ("succeeded", config_id)
    assert (collected["time_from"], collected["time_to"]) == ("2024-03-04T00:00:00Z", "2024-03-06T00:00:00Z")
    assert collected["external_run_id"]
    assert collected["result_summary"]["metric_points_written"] == 2 * 24 * 5

    # The warehouse disappears mid-schedule: the next window's run fails and its job says why.
    hidden = lake.parent / "hidden.parquet"
    shutil.move(lake / "app_events.parquet", hidden)
    assert not _scheduled_run(launcher, config_id, *failing)
    failed_page = ws.viewer.get(JOBS, params={"status": "failed"}).json()
    [failed] = failed_page["items"]
    assert (failed["kind"], failed["needs_attention"]) == ("metrics", True)
    assert (failed["time_from"], failed["time_to"]) == ("2024-03-06T00:00:00Z", "2024-03-08T00:00:00Z")
    assert "app_events" in failed["error_message"]
    assert _points(ws, config_id, *failing) == (0, 0)
    workspace = ws.owner.get("/api/v1/jobs", params={"needs_attention": "true"}).json()
    assert [j["id"] for j in workspace["items"]] == [failed["id"]]
    assert ws.viewer.get("/api/v1/jobs").status_code == 403

    # Restored, retried: a new job over the same window, linked to the failed one.
    shutil.move(hidden, lake / "app_events.parquet")
    assert ws.viewer.post(f"{JOBS}/{failed['id']}/retry").status_code == 403
    response = ws.editor.post(f"{JOBS}/{failed['id']}/retry")
    assert response.status_code == 202, response.text
    retry = _wait(ws, launcher, response.json())
    assert (retry["status"], retry["retry_of_id"], retry["kind"]) == ("succeeded", failed["id"], "metrics")
    assert (retry["time_from"], retry["time_to"]) == (failed["time_from"], failed["time_to"])
    points, rows = _points(ws, config_id, *failing)
    assert points == 2 * 24 * 5
    assert rows == _warehouse_rows(lake, *failing)  # every row counted once: complete, not doubled
    assert _points(ws, config_id, *first) == (2 * 24 * 5, _warehouse_rows(lake, *first))

    resolved = ws.viewer.get(f"{JOBS}/{failed['id']}").json()
    assert (resolved["resolution"], resolved["needs_attention"], resolved["retried_by_id"]) == \
        ("retried", False, retry["id"])
    assert ws.viewer.get(JOBS, params={"needs_attention": "true"}).json()["items"] == []
    again = ws.editor.post(f"{JOBS}/{failed['id']}/retry")
    assert again.status_code == 409
    assert "already retried" in again.json()["detail"]


def test_dismiss_and_the_rules_of_retry(ws: Workspace, lake: Path, launcher: InProcessLauncher) -> None:
    shop = ms.metrics_project(ws, lake)
    config_id = shop["scan"]["id"]
    shutil.move(lake / "app_events.parquet", lake.parent / "gone.parquet")
    for day in range(3):
        assert not _scheduled_run(launcher, config_id, ms.START + timedelta(days=day),
                                  ms.START + timedelta(days=day + 1))
    page = ws.viewer.get(JOBS, params={"status": "failed", "limit": 2}).json()
    assert [j["time_from"][:10] for j in page["items"]] == ["2024-03-06", "2024-03-05"]  # newest first
    rest = ws.viewer.get(JOBS, params={"status": "failed", "limit": 2, "cursor": page["next_cursor"]}).json()
    assert [j["time_from"][:10] for j in rest["items"]] == ["2024-03-04"]
    assert rest["next_cursor"] is None
    oldest = rest["items"][0]

    dismissed = ws.editor.post(f"{JOBS}/{oldest['id']}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["resolution"], dismissed.json()["needs_attention"]) == ("dismissed", False)
    open_ids = [j["id"] for j in ws.viewer.get(JOBS, params={"needs_attention": "true"}).json()["items"]]
    assert oldest["id"] not in open_ids
    assert len(open_ids) == 2
    assert ws.editor.post(f"{JOBS}/{oldest['id']}/dismiss").status_code == 409
    assert ws.editor.post(f"{JOBS}/{oldest['id']}/retry").status_code == 409

    # Still broken: the retry fails too and the original stays open, linked to its retry.
    target = page["items"][0]
    retry = _wait(ws, launcher, ws.editor.post(f"{JOBS}/{target['id']}/retry").json())
    assert (retry["status"], retry["retry_of_id"]) == ("failed", target["id"])
    assert ws.viewer.get(f"{JOBS}/{target['id']}").json()["needs_attention"] is True

    assert ws.viewer.get(JOBS, params={"kind": "nope"}).status_code == 422
    assert ws.viewer.get(JOBS, params={"cursor": "garbage!"}).status_code == 422
    assert ws.viewer.get(f"{JOBS}/{uuid.uuid4()}").status_code == 404
    ws.project("other", "Other")
    assert ws.viewer.get(f"/api/v1/projects/other/jobs/{target['id']}").status_code == 404
