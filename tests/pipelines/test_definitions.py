from __future__ import annotations

from pathlib import Path

import yaml
from dagster import Definitions

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
