"""Replay Scan Metrics through HTTP with the in-process launcher (the `replay_scan_metrics` asset job
executed in a thread, the window as its run config): the replay collects chunk by chunk and its metrics
answer; the run materialises every metrics asset over the whole range, distribution drifts included; its
job row shows the chunks done and points written; a cancel between chunks stops it with the finished
chunks kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dagster import DagsterEventType, RunsFilter
from sqlalchemy import func, select

from tests.metrics import support as ms
from tests.pipelines.run_waits import finished_job
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_core.metrics import replay as replay_module
from tripl_core.metrics.models import DistributionDrift, MetricDay
from tripl_core.metrics.packing import unpack
from tripl_core.scans.launching import JOB_ID_TAG
from tripl_pipelines.launcher import InProcessLauncher

P = "/api/v1/projects/shop"

client = launching.client
launcher = launching.launcher


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("app_lake"))




def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _points(ws: Workspace) -> int:
    with ws.db.unit_of_work() as session:
        return sum(int(np.count_nonzero(unpack(blob))) for blob in session.scalars(select(MetricDay.counts)))


def _materialised(launcher: InProcessLauncher, job_id: str) -> dict[str, dict[str, Any]]:
    """Metadata of each asset the job's run materialised, by asset name."""
    [run] = launcher.instance.get_runs(filters=RunsFilter(tags={JOB_ID_TAG: job_id}))
    run_id = run.run_id
    found = {}
    for entry in launcher.instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        assert entry.dagster_event is not None
        materialization = entry.dagster_event.step_materialization_data.materialization
        found[materialization.asset_key.path[-1]] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def test_replay_runs_on_dagster_and_its_metrics_answer(ws: Workspace, app_lake: Path,
                                                       launcher: InProcessLauncher) -> None:
    # day-long chunks: the config's chunk interval, not its hourly one, cuts the range (21 chunk
    # transactions instead of 84 at 6h: the same proof for a quarter of the per-chunk work)
    made = ms.metrics_project(ws, app_lake, replay_chunk_interval="1d")
    scan = made["scan"]
    queued = ws.editor.post(f"{P}/scans/{scan['id']}/metrics/replay", json={
        "time_from": _iso(ms.START), "time_to": _iso(ms.END)})
    assert queued.status_code == 202, queued.text
    job = finished_job(ws, launcher, scan, queued.json()["id"])
    assert job["status"] == "succeeded", job
    summary = job["result_summary"]
    assert (summary["chunks"], summary["chunks_done"]) == (ms.DAYS, ms.DAYS)
    assert summary["metric_points_written"] == ms.DAYS * 24 * (1 + 1 + 3) == _points(ws)
    assert summary["signals_raised"] >= 1
    assert summary["release_regressions"] == 1
    assert summary["drifts"] >= 1  # distribution drifts are replayed too
    # Real materialisations of the metrics assets over the whole replayed range (no alert fan-out of the past)
    found = _materialised(launcher, job["id"])
    assert set(found) == {"event_metrics", "anomaly_signals", "distribution_drifts", "release_regressions"}
    window = f"[{_iso(ms.START)}, {_iso(ms.END)})"
    assert {meta["window"] for meta in found.values()} == {window}
    assert found["event_metrics"]["chunks"] == ms.DAYS  # every day-long chunk
    assert found["event_metrics"]["points_written"] == summary["metric_points_written"]
    assert found["distribution_drifts"]["drifts"] == summary["drifts"]
    with ws.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(DistributionDrift)) == summary["drifts"]
    click = made["events"]["click"]["id"]
    series = ws.viewer.get(f"{P}/events/{click}/metrics", params={"from": _iso(ms.START), "to": _iso(ms.END)}).json()
    assert [p["bucket"] for p in series["data"] if p["is_anomaly"]] == [_iso(ms.SPIKE)]
    regressions = ws.viewer.get(f"{P}/scans/{scan['id']}/release-regressions").json()
    assert [(i["event_name"], i["kind"]) for i in regressions["items"]] == [("buy", "missing")]


def test_cancel_between_chunks_keeps_the_finished_ones(ws: Workspace, app_lake: Path, launcher: InProcessLauncher,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    made = ms.metrics_project(ws, app_lake)
    scan = made["scan"]
    first_done, cancel_sent = threading.Event(), threading.Event()
    real: Callable[..., Any] = replay_module.write_collected

    def collect_then_pause(*args: Any, **kwargs: Any) -> Any:
        """The real write of a chunk; after the first one, wait until the test has asked for the cancel."""
        result = real(*args, **kwargs)
        if not first_done.is_set():
            first_done.set()
            assert cancel_sent.wait(60)
        return result

    monkeypatch.setattr(replay_module, "write_collected", collect_then_pause)
    queued = ws.editor.post(f"{P}/scans/{scan['id']}/metrics/replay", json={
        "time_from": _iso(ms.START), "time_to": _iso(ms.START + timedelta(hours=6))})
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert first_done.wait(120)
    running = ws.viewer.get(f"{P}/scans/{scan['id']}/jobs/{job_id}").json()
    assert running["status"] == "running"
    cancelled = ws.editor.post(f"{P}/scans/{scan['id']}/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelling"
    cancel_sent.set()
    job = finished_job(ws, launcher, scan, job_id)
    assert job["status"] == "cancelled", job
    assert job["result_summary"]["chunks_done"] == 1  # the progress recorded before the cancel
    assert _points(ws) == 5  # one hourly bucket of five series: the finished chunk is kept
    again = ws.editor.post(f"{P}/scans/{scan['id']}/metrics/replay", json={
        "time_from": _iso(ms.START), "time_to": _iso(ms.START + timedelta(hours=2))})
    assert again.status_code == 202  # the project is free again
