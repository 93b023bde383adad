"""Every Dagster job of tripl. The asset jobs select assets; the op jobs run `ops`. Each gets the quiet
console logger of `RUN_CONFIG` as its default config (runs started from the Dagster UI log like launched ones).

The metrics jobs take the window as run config (`config.MetricsWindow` on every step,
`tripl_core.scans.launching.window_run_config`): `scan_metrics` (requested by the metrics sensor, or a
retry from the API) collects, analyses and fans out; `replay_scan_metrics` is the same assets over a
replayed range — collected chunk by chunk, each chunk written atomically and recorded on the replay's
job row, then signals, distribution drifts and release regressions over the range — without alerting
on the past."""

from __future__ import annotations

from typing import Any

from dagster import define_asset_job, job

from tripl_core.jobs.models import JobKind
from tripl_core.scans.launching import DAGSTER_JOBS, METRICS_JOB, RUN_CONFIG
from tripl_pipelines.assets.alerts import alert_fanout
from tripl_pipelines.assets.catalog import catalog
from tripl_pipelines.assets.metrics import METRICS_ASSETS
from tripl_pipelines.assets.photos import photo_files
from tripl_pipelines.assets.search import search_index
from tripl_pipelines.ops import fold_event_groups, prune_audit_entries, resend_due_deliveries
from tripl_pipelines.partitions import scan_configs

QUIET_RUN_CONFIG: dict[str, Any] = dict(RUN_CONFIG)
SWEEP_JOB = "sweep_photo_files"
RETRY_JOB = "alert_delivery_retry"

catalog_scan_job = define_asset_job(DAGSTER_JOBS[JobKind.scan.value], selection=[catalog], config=QUIET_RUN_CONFIG,
                                    description="The catalog scan of one scan config (its partition).")
scan_metrics_job = define_asset_job(METRICS_JOB, selection=[*METRICS_ASSETS, alert_fanout],
                                    config=QUIET_RUN_CONFIG,
                                    description="Metrics of one scan config (its partition) over the run config's "
                                                "window: collection, signals and forecasts, drifts, regressions, "
                                                "then the alert fan-out.")
replay_metrics_job = define_asset_job(DAGSTER_JOBS[JobKind.replay.value], selection=METRICS_ASSETS,
                                      config=QUIET_RUN_CONFIG,
                                      description="Replay Scan Metrics: the metrics assets of one scan config over "
                                                  "[time_from, time_to), collected chunk by chunk (no alerts).")
sweep_photo_files_job = define_asset_job(SWEEP_JOB, selection=[photo_files],
                                         description="Remove photo files no photo row references.")
search_index_job = define_asset_job("search_index_job", selection=[search_index],
                                    description="Rebuilds the search index and its embeddings.")


@job(name=DAGSTER_JOBS[JobKind.apply_groups.value], partitions_def=scan_configs, config=QUIET_RUN_CONFIG,
     description="Fold existing events that a scan config's event group rules cover into the rules' events.")
def apply_event_groups_job() -> None:
    fold_event_groups()


@job(description="Audit log retention: entries older than TRIPL_AUDIT_RETENTION_DAYS are deleted.")
def prune_audit_log() -> None:
    prune_audit_entries()


@job(name=RETRY_JOB, config=QUIET_RUN_CONFIG,
     description="Resend the alert deliveries whose backoff has passed (requested by alert_delivery_retries).")
def alert_delivery_retry_job() -> None:
    resend_due_deliveries()


ASSET_JOBS = [catalog_scan_job, scan_metrics_job, replay_metrics_job, sweep_photo_files_job, search_index_job]
OP_JOBS = [apply_event_groups_job, prune_audit_log, alert_delivery_retry_job]
