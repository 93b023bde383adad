"""Replay Scan Metrics as one Dagster run per job (kind `replay`, partition = scan config): the job row's
`time_from`/`time_to` params collected chunk by chunk by `tripl_core.metrics.replay`, cancellable between
chunks, the row's `result_summary` updated after each chunk; materialisations of the metrics assets are
logged for the partition so the Dagster UI shows the replayed window in their lineage."""

import uuid
from collections.abc import Iterator
from datetime import datetime

from dagster import AssetMaterialization, OpExecutionContext, Output, job, op

from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind
from tripl_core.metrics.collection_input import MetricsFailed
from tripl_core.metrics.replay import replay
from tripl_core.scans.launching import DAGSTER_JOBS
from tripl_pipelines import job_rows
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets
from tripl_pipelines.run_logs import QUIET_RUN_CONFIG


@op
def replay_metrics(context: OpExecutionContext, app_db: AppDatabase,
                   app_secrets: AppSecrets) -> Iterator[AssetMaterialization | Output[None]]:
    db = app_db.database
    run = job_rows.start(context, db, JobKind.replay)
    if run is None:
        yield Output(None)
        return
    summary: dict[str, int | str] = {}
    with job_rows.outcome(db, run) as succeed:
        time_from, time_to = _params(app_db, run.job_id)
        summary = replay(db, run.scan_config_id, time_from, time_to, secrets=app_secrets.box,
                         cancel_requested=run.cancel_requested,
                         on_chunk=lambda progress: lifecycle.record_run_progress(db, run.job_id, progress))
        succeed(dict(summary))
    if summary:
        window = {"window": f"[{time_from.isoformat()}, {time_to.isoformat()})"}
        yield AssetMaterialization("event_metrics", partition=context.partition_key, metadata={
            **window, "chunks": summary["chunks_done"], "points_written": summary["metric_points_written"],
            "rows_read": summary["rows_read"]})
        yield AssetMaterialization("anomaly_signals", partition=context.partition_key, metadata={
            **window, "series_scored": summary["series_scored"], "signals_found": summary["signals_raised"]})
        yield AssetMaterialization("release_regressions", partition=context.partition_key, metadata={
            **window, "regressions": summary["release_regressions"]})
    yield Output(None)


def _params(app_db: AppDatabase, job_id: uuid.UUID) -> tuple[datetime, datetime]:
    with app_db.unit_of_work() as session:
        row = session.get(Job, job_id)
        params = dict(row.params or {}) if row is not None else {}
    if "time_from" not in params or "time_to" not in params:
        raise MetricsFailed("The replay job has no time_from/time_to params")
    return datetime.fromisoformat(str(params["time_from"])), datetime.fromisoformat(str(params["time_to"]))


@job(name=DAGSTER_JOBS[JobKind.replay.value], partitions_def=scan_configs, config=QUIET_RUN_CONFIG,
     description="Replay Scan Metrics: recompute a scan config's metrics over [time_from, time_to) chunk by chunk.")
def replay_metrics_job() -> None:
    replay_metrics()
