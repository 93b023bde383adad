"""The one entry Dagster loads (workspace.yaml, `dagster dev -m tripl_pipelines.definitions`).

`build_definitions` lets the in-process launcher and the tests bind the resources to their own app
database and secret key; `defs` reads both from the TRIPL_* settings."""

from __future__ import annotations

from dagster import Definitions, define_asset_job

from tripl_core.jobs.models import JobKind
from tripl_core.scans.launching import DAGSTER_JOBS, METRICS_JOB
from tripl_pipelines.alerting import AlertOutbound, alert_delivery_retries, alert_fanout
from tripl_pipelines.assets.catalog import catalog
from tripl_pipelines.assets.metrics import METRICS_ASSETS
from tripl_pipelines.audit_retention import audit_retention_schedule, prune_audit_log
from tripl_pipelines.event_groups import apply_event_groups_job
from tripl_pipelines.metrics_sensor import scan_metrics_schedule
from tripl_pipelines.photos import PhotoStorage, daily_photo_sweep, photo_files, sweep_photo_files_job
from tripl_pipelines.replay import replay_metrics_job
from tripl_pipelines.resources import AppDatabase, AppSecrets
from tripl_pipelines.run_logs import QUIET_RUN_CONFIG
from tripl_pipelines.search_index import search_index, search_index_freshness, search_index_job
from tripl_pipelines.sensors import scan_config_partitions, scan_job_status

catalog_scan_job = define_asset_job(DAGSTER_JOBS[JobKind.scan.value], selection=[catalog], config=QUIET_RUN_CONFIG,
                                    description="The catalog scan of one scan config (its partition).")
scan_metrics_job = define_asset_job(METRICS_JOB, selection=[*METRICS_ASSETS, alert_fanout],
                                    config=QUIET_RUN_CONFIG,
                                    description="Metrics of one scan config (its partition) over the window in the "
                                                "run's tags: collection, signals and forecasts, drifts, regressions, "
                                                "then the alert fan-out.")


def build_definitions(app_db: AppDatabase | None = None, app_secrets: AppSecrets | None = None,
                      alert_outbound: AlertOutbound | None = None,
                      photo_storage: PhotoStorage | None = None) -> Definitions:
    return Definitions(
        assets=[catalog, *METRICS_ASSETS, alert_fanout, photo_files, search_index],
        jobs=[catalog_scan_job, scan_metrics_job, apply_event_groups_job, replay_metrics_job, prune_audit_log,
              sweep_photo_files_job, search_index_job],
        sensors=[scan_config_partitions, scan_job_status, scan_metrics_schedule, alert_delivery_retries,
                 search_index_freshness],
        schedules=[audit_retention_schedule, daily_photo_sweep],
        resources={"app_db": app_db or AppDatabase(), "app_secrets": app_secrets or AppSecrets(),
                   "alert_outbound": alert_outbound or AlertOutbound(),
                   "photo_storage": photo_storage or PhotoStorage()},
    )


defs = build_definitions()
