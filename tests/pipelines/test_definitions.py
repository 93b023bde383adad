from __future__ import annotations

from pathlib import Path

import yaml
from dagster import DagsterInstance, Definitions

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


def test_instance_config_is_valid() -> None:
    from dagster._core.instance.config import dagster_instance_config

    config, _ = dagster_instance_config(str(ROOT), "dagster.yaml")
    assert config["telemetry"]["enabled"] is False


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
