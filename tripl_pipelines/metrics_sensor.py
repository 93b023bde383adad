"""The metrics schedule: a sensor requesting a `scan_metrics` run for each scan config whose interval
boundary has passed since the end of its stored metrics (`tripl_core.metrics.schedule`), with the
collection window in the run's tags. Catalog-only configs are never due.

One run per due config, not one run covering many: the metrics assets are partitioned by scan config,
and a Dagster run materialises one partition, so each config keeps its own materialisations, metadata,
failure and retry. A config whose previous metrics run is still queued or running is not requested
again (its next run picks up every bucket since its stored end). When many configs are due at once the
per-run overhead is Dagster's to absorb (run queue concurrency limits, run launchers in dagster.yaml)."""

from __future__ import annotations

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from tripl_core.metrics.schedule import due_collections
from tripl_core.scans.launching import METRICS_JOB, PARTITIONS, RUN_CONFIG, TIME_FROM_TAG, TIME_TO_TAG
from tripl_pipelines.resources import AppDatabase

IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
PARTITION_TAG = "dagster/partition"


@sensor(job_name=METRICS_JOB, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Requests a metrics run for every scan config whose interval boundary has passed.")
def scan_metrics_schedule(context: SensorEvaluationContext, app_db: AppDatabase) -> SensorResult | SkipReason:
    present = set(context.instance.get_dynamic_partitions(PARTITIONS))
    running = {run.tags.get(PARTITION_TAG) for run in context.instance.get_runs(
        filters=RunsFilter(job_name=METRICS_JOB, statuses=IN_FLIGHT))}
    requests = [
        RunRequest(run_key=f"{due.scan_config_id}@{due.time_to.isoformat()}", partition_key=str(due.scan_config_id),
                   run_config=RUN_CONFIG,
                   tags={**due.tags, TIME_FROM_TAG: due.time_from.isoformat(), TIME_TO_TAG: due.time_to.isoformat()})
        for due in due_collections(app_db.database)
        if str(due.scan_config_id) in present and str(due.scan_config_id) not in running
    ]
    if not requests:
        return SkipReason("No scan config is due a metrics collection")
    return SensorResult(run_requests=requests)
