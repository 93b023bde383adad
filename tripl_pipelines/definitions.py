"""The one entry Dagster loads (workspace.yaml, `dagster dev -m tripl_pipelines.definitions`).

`build_definitions` lets the in-process launcher and the tests bind the resources to their own app
database and secret key; `defs` reads both from the TRIPL_* settings."""

from __future__ import annotations

from dagster import Definitions, define_asset_job

from tripl_core.scans.launching import DAGSTER_JOBS
from tripl_core.sources.models import JobKind
from tripl_pipelines.assets.catalog import catalog
from tripl_pipelines.event_groups import apply_event_groups_job
from tripl_pipelines.resources import AppDatabase, AppSecrets
from tripl_pipelines.sensors import scan_config_partitions, scan_job_status

catalog_scan_job = define_asset_job(DAGSTER_JOBS[JobKind.scan.value], selection=[catalog],
                                    description="The catalog scan of one scan config (its partition).")


def build_definitions(app_db: AppDatabase | None = None, app_secrets: AppSecrets | None = None) -> Definitions:
    return Definitions(
        assets=[catalog],
        jobs=[catalog_scan_job, apply_event_groups_job],
        sensors=[scan_config_partitions, scan_job_status],
        resources={"app_db": app_db or AppDatabase(), "app_secrets": app_secrets or AppSecrets()},
    )


defs = build_definitions()
