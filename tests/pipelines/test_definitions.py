from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, Definitions
from sqlalchemy import text

from tripl_pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load_and_resolve() -> None:
    assert isinstance(defs, Definitions)
    repository = defs.get_repository_def()
    repository.load_all_definitions()
    assert "app_db" in defs.resources


def test_workspace_points_at_the_definitions() -> None:
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]
    assert module["module_name"] == "tripl_pipelines.definitions"
    assert module["attribute"] == "defs"


def test_instance_config_is_valid(tmp_path: Path) -> None:
    from dagster import QueuedRunCoordinator

    from tripl_pipelines.instance import prepare_home

    home = prepare_home(tmp_path / "state", ROOT / "dagster.yaml")
    instance = DagsterInstance.from_config(str(home))  # validates the file against Dagster's schema
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert yaml.safe_load((home / "dagster.yaml").read_text())["telemetry"]["enabled"] is False
    finally:
        instance.dispose()


def test_definitions_know_every_job_sensor_and_schedule() -> None:
    repository = defs.get_repository_def()
    assert {job.name for job in repository.get_all_jobs()} - {"__ASSET_JOB"} == {
        "catalog_scan", "scan_metrics", "replay_scan_metrics", "apply_event_groups", "prune_audit_log",
        "sweep_photo_files", "search_index_job", "alert_delivery_retry"}
    assert {sensor.name for sensor in repository.sensor_defs} == {
        "scan_config_partitions", "scan_metrics_schedule", "alert_delivery_retries", "search_index_freshness",
        "job_rows_on_success", "job_rows_on_failure", "job_rows_on_cancel", "job_rows_of_lost_runs"}
    assert {schedule.name for schedule in repository.schedule_defs} == {"prune_audit_log_schedule",
                                                                         "daily_photo_sweep"}
    # replay is the metrics assets' own job (no alert fan-out of the past), not an op job
    replay = repository.get_job("replay_scan_metrics")
    assert {node.name for node in replay.graph.node_defs} == {"event_metrics", "anomaly_signals",
                                                               "distribution_drifts", "release_regressions"}


def test_resources_are_bound_to_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Set variables become `EnvVar`s (the UI names them; secrets never show); unset ones show the
    value the settings default to."""
    from dagster import EnvVar

    from tripl_pipelines.resources import from_environment

    monkeypatch.setenv("TRIPL_DATABASE_URL", "sqlite+pysqlite:///" + str(tmp_path / "app.db"))
    monkeypatch.setenv("TRIPL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("TRIPL_SECRET_KEY", raising=False)
    resources = from_environment()
    app_db, secrets = resources["app_db"], resources["app_secrets"]
    assert app_db.database_url == EnvVar("TRIPL_DATABASE_URL")  # type: ignore[attr-defined]
    assert isinstance(app_db.database_url, EnvVar)  # type: ignore[attr-defined]
    assert secrets.secret_key is None  # type: ignore[attr-defined]
    assert isinstance(secrets.state_dir, EnvVar)  # type: ignore[attr-defined]
    monkeypatch.delenv("TRIPL_STATE_DIR")
    assert not isinstance(from_environment()["app_db"].state_dir, EnvVar)  # type: ignore[attr-defined]


def test_app_database_is_one_engine_per_run_disposed_after_it(tmp_path: Path) -> None:
    """Set up when a run (or sensor tick) starts, torn down when it ends: no engine outlives its run."""
    from dagster import build_resources

    from tripl_pipelines.resources import AppDatabase

    resource = AppDatabase(database_url="sqlite+pysqlite:///" + str(tmp_path / "app.db"))
    with pytest.raises(RuntimeError, match="outside a run"):
        _ = resource.database
    with build_resources({"app_db": resource}) as built:
        live = built.app_db
        engine = live.database
        with live.unit_of_work() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
        assert engine is live.database  # one per run
    with pytest.raises(RuntimeError, match="outside a run"):
        _ = live.database


def test_no_instance_of_tripl_captures_step_output_through_tail_processes(tmp_path: Path) -> None:
    """Compute-log capture spawns a `tail -F` per stream and step; neither `tripl up`'s instance nor the
    in-process launcher's use it (their leftovers outlived the test suite)."""
    from tripl_pipelines.instance import initialise_storage, prepare_home
    from tripl_pipelines.launcher import InProcessLauncher

    home = prepare_home(tmp_path / "state", Path(__file__).resolve().parents[2] / "dagster.yaml")
    initialise_storage(home)
    instance = DagsterInstance.from_config(str(home))
    try:
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
    finally:
        instance.dispose()
    launcher = InProcessLauncher(f"sqlite+pysqlite:///{tmp_path / 'app.db'}", "k" * 32)
    try:
        assert type(launcher.instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
    finally:
        launcher.close()


def test_postgres_storage_is_configured_from_the_environment(tmp_path: Path) -> None:
    from tripl_pipelines.instance import POSTGRES_URL_ENV, postgres_storage_url, prepare_home

    home = prepare_home(tmp_path / "state", Path(__file__).resolve().parents[2] / "dagster.yaml",
                        postgres_url="postgresql+psycopg2://u:p@db/dagster")
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["storage"] == {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}  # no secret in the file
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 4  # the rest of the file is kept
    [limit] = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert (limit["key"], limit["limit"]) == ("tripl/collection", 1)  # metrics writers of a config never overlap
    assert postgres_storage_url("postgresql://u:p@db/x") == "postgresql+psycopg2://u:p@db/x"
    assert postgres_storage_url("postgres://u:p@db/x") == "postgresql+psycopg2://u:p@db/x"


def test_assets_are_grouped_and_metrics_assets_checked() -> None:
    graph = defs.resolve_asset_graph()
    groups = {key.path[-1]: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {"catalog": "plan", "event_metrics": "metrics", "anomaly_signals": "metrics",
                      "distribution_drifts": "metrics", "release_regressions": "metrics", "alert_fanout": "alerts",
                      "photo_files": "photos", "search_index": "search"}
    checked = {check.asset_key.path[-1] for check in graph.asset_check_keys}
    assert {"event_metrics", "anomaly_signals", "distribution_drifts", "release_regressions"} <= checked
