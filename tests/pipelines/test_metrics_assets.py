"""The metrics assets end to end on chDB: the `scan_metrics` job materialises event metrics → signals and
forecasts, distribution drifts, release regressions for one scan config partition over the window of
its tags, with the figures in the materialisation metadata; re-running a window replaces it; a
catalog-only config materialises nothing. The metrics sensor requests runs only for due configs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, RunRequest, SensorResult, build_sensor_context, materialize
from sqlalchemy import func, select

from tests.metrics import support as ms
from tests.scans.support import create_scan
from tests.sources.support import chdb_body, create_source
from tests.support.workspace import Workspace
from tripl_core.metrics.models import AnomalySignal, MetricDay, MetricWindow
from tripl_core.metrics.windows import last_complete
from tripl_core.scans.launching import METRICS_JOB, PARTITIONS, window_run_config
from tripl_core.settings import Settings
from tripl_core.warehouse import Interval
from tripl_pipelines.assets.metrics import anomaly_signals
from tripl_pipelines.definitions import build_definitions
from tripl_pipelines.resources import AppDatabase, AppSecrets
from tripl_pipelines.sensors import scan_metrics_schedule


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("app_lake"))


@pytest.fixture
def shop(ws: Workspace, app_lake: Path) -> dict[str, Any]:
    return ms.metrics_project(ws, app_lake)


def _materialise(settings: Settings, instance: DagsterInstance, config_id: str, time_from: datetime,
                 time_to: datetime) -> dict[str, dict[str, Any]]:
    """Run the metrics job for one partition; metadata of each materialised asset by asset name."""
    definitions = build_definitions(AppDatabase(database_url=settings.resolved_database_url),
                                    AppSecrets(secret_key=settings.resolved_secret_key))
    if not instance.has_dynamic_partition(PARTITIONS, config_id):
        instance.add_dynamic_partitions(PARTITIONS, [config_id])
    result = definitions.resolve_job_def(METRICS_JOB).execute_in_process(
        instance=instance, partition_key=config_id, run_config=window_run_config(METRICS_JOB, time_from, time_to))
    assert result.success
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        found[materialization.asset_key.path[-1]] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def test_metrics_assets_materialise_a_window_with_lineage_metadata(ws: Workspace, shop: dict[str, Any],
                                                                   settings: Settings) -> None:
    """The whole job over three weeks, a day of it re-run, then `anomaly_signals` materialised alone."""
    instance = DagsterInstance.ephemeral()
    config_id = shop["scan"]["id"]
    found = _materialise(settings, instance, config_id, ms.START, ms.END)
    assert set(found) == {"event_metrics", "anomaly_signals", "distribution_drifts", "release_regressions",
                          "alert_fanout"}
    window = "[2024-03-04T00:00:00Z, 2024-03-25T00:00:00Z)"
    assert all(found[name]["window"] == window for name in ("event_metrics", "anomaly_signals",
                                                             "distribution_drifts", "release_regressions"))
    assert found["event_metrics"]["points_written"] == ms.DAYS * 24 * (1 + 1 + 3)
    assert found["event_metrics"]["chunks"] == ms.DAYS  # day-long chunks (not one per hourly bucket)
    assert found["anomaly_signals"]["series_scored"] == 5
    assert found["anomaly_signals"]["signals_found"] >= 1
    assert found["anomaly_signals"]["forecasts_written"] == 5
    # country, project total and the bound type, at the window end and each whole day before it but the
    # first (its baseline week holds no rows)
    assert found["distribution_drifts"]["drifts"] == 2 * (ms.DAYS - 1)
    assert found["release_regressions"]["regressions"] == 1  # buy is never sent on 1.1.0
    click = shop["events"]["click"]["id"]
    with ws.db.unit_of_work() as session:
        spikes = session.scalars(select(AnomalySignal.bucket).where(AnomalySignal.scope_ref == click)).all()
        total = session.scalar(select(func.sum(MetricDay.total)))
    assert [s.replace(tzinfo=UTC) for s in spikes] == [ms.SPIKE]
    day = ms.START + timedelta(days=19)
    again = _materialise(settings, instance, config_id, day, day + timedelta(days=1))
    assert again["event_metrics"]["points_written"] == 24 * 5
    with ws.db.unit_of_work() as session:
        assert session.scalar(select(func.sum(MetricDay.total))) == total  # the day was replaced, not added
        assert session.scalar(select(func.count()).select_from(AnomalySignal)
                              .where(AnomalySignal.scope_ref == click)) == 1

    # Materialising `anomaly_signals` by itself (as from the Dagster UI) scores the window its run config
    # names, not the one the earlier runs collected; without a window it scores the latest completed interval.
    # (A test of its own until session 14; it continues here so the three weeks are collected once.)
    _anomaly_signals_alone_scores_the_window_of_its_own_config(ws, settings, instance, config_id)


def _anomaly_signals_alone_scores_the_window_of_its_own_config(ws: Workspace, settings: Settings,
                                                               instance: DagsterInstance, config_id: str) -> None:
    with ws.db.unit_of_work() as session:
        session.execute(AnomalySignal.__table__.delete())
    # the spike's day and the day before: not the window of the last run (the spike's day alone)
    start = datetime(ms.SPIKE.year, ms.SPIKE.month, ms.SPIKE.day, tzinfo=UTC) - timedelta(days=1)
    end_ = start + timedelta(days=2)
    resources = {"app_db": AppDatabase(database_url=settings.resolved_database_url)}
    window = {"time_from": start.isoformat(), "time_to": end_.isoformat()}
    alone = materialize([anomaly_signals], partition_key=config_id, instance=instance, resources=resources,
                        run_config={"ops": {"anomaly_signals": {"config": window}}})
    assert alone.success
    [only] = alone.asset_materializations_for_node("anomaly_signals")
    assert only.metadata["window"].value == f"[{_iso(start)}, {_iso(end_)})"
    with ws.db.unit_of_work() as session:
        buckets = [b.replace(tzinfo=UTC) for b in session.scalars(select(AnomalySignal.bucket))]
    assert ms.SPIKE in buckets  # the spike's day was scored again ...
    assert all(start <= bucket < end_ for bucket in buckets)  # ... and nothing outside the window

    latest = materialize([anomaly_signals], partition_key=config_id, instance=instance, resources=resources)
    assert latest.success
    end = last_complete(Interval.HOUR_1)
    [default] = latest.asset_materializations_for_node("anomaly_signals")
    assert default.metadata["window"].value in {f"[{_iso(end - timedelta(hours=1))}, {_iso(end)})",
                                                f"[{_iso(end)}, {_iso(end + timedelta(hours=1))})"}  # an hour may pass


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_catalog_only_config_materialises_no_metrics(ws: Workspace, shop: dict[str, Any], app_lake: Path,
                                                     settings: Settings) -> None:
    source = create_source(ws.owner, chdb_body(app_lake, name="catalog-lake"))
    catalog_only = create_scan(ws.owner, source, name="catalog-only", base_query="SELECT ts, name FROM app_events",
                               event_type_column=None, event_type_id=shop["type"]["id"],
                               event_name_format="{name}")
    assert catalog_only["interval"] is None
    found = _materialise(settings, DagsterInstance.ephemeral(), catalog_only["id"], ms.START, ms.END)
    assert found == {}
    with ws.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(MetricDay)) == 0


def _requests(settings: Settings, instance: DagsterInstance) -> list[RunRequest]:
    with build_sensor_context(instance=instance, resources={
            "app_db": AppDatabase(database_url=settings.resolved_database_url)}) as context:
        result = scan_metrics_schedule(context)
    return list(result.run_requests or []) if isinstance(result, SensorResult) else []


def _window(request: RunRequest) -> tuple[str, str]:
    """The window a request gives every step of the run (typed run config, the same for each step)."""
    windows = {(step["config"]["time_from"], step["config"]["time_to"]) for step in request.run_config["ops"].values()}
    assert set(request.run_config["ops"]) == {"event_metrics", "anomaly_signals", "distribution_drifts",
                                              "release_regressions", "alert_fanout"}
    [window] = windows
    return window


def test_sensor_requests_runs_for_due_configs_only(ws: Workspace, shop: dict[str, Any], app_lake: Path,
                                                   settings: Settings) -> None:
    instance = DagsterInstance.ephemeral()
    config_id = shop["scan"]["id"]
    source = create_source(ws.owner, chdb_body(app_lake, name="catalog-lake"))
    catalog_only = create_scan(ws.owner, source, name="catalog-only", base_query="SELECT ts, name FROM app_events",
                               event_type_column=None, event_type_id=shop["type"]["id"], event_name_format="{name}")
    assert _requests(settings, instance) == []  # no partitions yet: the partition sensor adds them first
    instance.add_dynamic_partitions(PARTITIONS, [config_id, catalog_only["id"]])
    [first] = _requests(settings, instance)
    end = last_complete(Interval.HOUR_1)
    assert first.partition_key == config_id
    assert _window(first) == ((end - timedelta(days=28)).isoformat(), end.isoformat())  # the detector's history span
    assert (first.tags["tripl/project"], first.tags["tripl/scan"]) == ("shop", "app-metrics")  # readable in the UI
    assert first.tags["tripl/collection"] == config_id  # one metrics writer per config at a time (dagster.yaml)
    with ws.db.unit_of_work() as session:  # collected up to two hours ago: the next run reads two new buckets
        session.add(MetricWindow(scan_config_id=uuid.UUID(config_id), time_from=end - timedelta(days=1),
                                 time_to=end - timedelta(hours=2)))
    [catch_up] = _requests(settings, instance)
    # ... and re-counts those still settling: two data delays (the default hour until one is learnt) and a bucket
    assert _window(catch_up) == ((end - timedelta(hours=3)).isoformat(), end.isoformat())
    assert catch_up.run_key == f"{config_id}@{end.isoformat()}"
    with ws.db.unit_of_work() as session:
        session.add(MetricWindow(scan_config_id=uuid.UUID(config_id), time_from=end - timedelta(hours=2),
                                 time_to=end))
    if last_complete(Interval.HOUR_1) == end:  # (an hour boundary passing mid-test makes it due again)
        assert _requests(settings, instance) == []
