"""Every sensor of tripl. Sensors decide and request runs; the runs do the work (and show in the run
history). Job rows follow their Dagster runs through run status sensors.

- `scan_config_partitions` keeps the `scan_configs` partitions equal to the app database's scan configs;
- `scan_metrics_schedule` requests a `scan_metrics` run, with its window as run config, for each config whose
  interval boundary has passed since the end of its stored metrics (`tripl_core.metrics.schedule`); it asks
  every TRIPL_METRICS_SENSOR_INTERVAL_SECONDS (30 s by default). One run per due config: the metrics assets
  are partitioned by scan config, so each config keeps its own materialisations, failure and retry; a config
  whose previous metrics run is in flight is not requested again (its next run picks up every bucket since
  its stored end);
- `alert_delivery_retries` requests an `alert_delivery_retry` run when deliveries are due a resend;
- `search_index_freshness` requests a `search_index` run when the plan changed;
- `job_rows_on_success` / `job_rows_on_failure` / `job_rows_on_cancel` end the job rows a run served that
  its code did not end (a replay's success; a run that failed or was terminated before it could say so);
  `job_rows_of_lost_runs` ends those whose run Dagster no longer knows (its storage was lost or restored
  from an older backup), which no run event will ever report."""

from __future__ import annotations

import warnings
from typing import Any

from dagster import (
    BetaWarning,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)
from sqlalchemy import select

from tripl_core.alerting import deliveries
from tripl_core.db.base import utcnow
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.metrics.schedule import due_collections
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.launching import METRICS_JOB, PARTITIONS, window_run_config
from tripl_core.search import staleness
from tripl_core.settings import Settings
from tripl_pipelines import job_rows
from tripl_pipelines.jobs import alert_delivery_retry_job, scan_metrics_job, search_index_job
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase

IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
PARTITION_TAG = "dagster/partition"

# Dagster's run-status sensor decorators pass its beta `owners` parameter on by themselves: a warning about
# Dagster's internals that every process loading these definitions would print.
warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDefinition.__init__`",
                        category=BetaWarning)


@sensor(minimum_interval_seconds=15, default_status=DefaultSensorStatus.RUNNING,
        description="Adds a partition per new scan config and removes those of deleted ones.")
def scan_config_partitions(context: SensorEvaluationContext, app_db: AppDatabase) -> SensorResult | SkipReason:
    with app_db.unit_of_work() as session:
        wanted = {str(config_id) for config_id in session.scalars(select(ScanConfig.id))}
    present = set(context.instance.get_dynamic_partitions(PARTITIONS))
    added, removed = sorted(wanted - present), sorted(present - wanted)
    if not added and not removed:
        return SkipReason(f"{len(present)} scan config partitions, all current")
    return SensorResult(dynamic_partitions_requests=[scan_configs.build_add_request(added),
                                                     scan_configs.build_delete_request(removed)])


@sensor(job=scan_metrics_job, minimum_interval_seconds=Settings().metrics_sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Requests a metrics run for every scan config whose interval boundary has passed.")
def scan_metrics_schedule(context: SensorEvaluationContext, app_db: AppDatabase) -> SensorResult | SkipReason:
    present = set(context.instance.get_dynamic_partitions(PARTITIONS))
    running = {run.tags.get(PARTITION_TAG) for run in context.instance.get_runs(
        filters=RunsFilter(job_name=METRICS_JOB, statuses=IN_FLIGHT))}
    requests = [
        RunRequest(run_key=f"{due.scan_config_id}@{due.time_to.isoformat()}", partition_key=str(due.scan_config_id),
                   run_config=window_run_config(METRICS_JOB, due.time_from, due.time_to), tags=due.tags)
        for due in due_collections(app_db.database)
        if str(due.scan_config_id) in present and str(due.scan_config_id) not in running
    ]
    if not requests:
        return SkipReason("No scan config is due a metrics collection")
    return SensorResult(run_requests=requests)


@sensor(job=alert_delivery_retry_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Requests an alert_delivery_retry run when failed deliveries' backoff has passed (or pending "
                    "ones were left unsent); one such run at a time.")
def alert_delivery_retries(context: SensorEvaluationContext, app_db: AppDatabase) -> RunRequest | SkipReason:
    if context.instance.get_runs(filters=RunsFilter(job_name=alert_delivery_retry_job.name, statuses=IN_FLIGHT),
                                 limit=1):
        return SkipReason("an alert_delivery_retry run is queued or running")
    now = utcnow()
    due = deliveries.due_for_retry(app_db.database, now, limit=1)
    if not due:
        return SkipReason("0 deliveries due")
    return RunRequest(run_key=f"retry@{now.isoformat()}")


@sensor(job=search_index_job, minimum_interval_seconds=120, default_status=DefaultSensorStatus.RUNNING,
        description="Materialises search_index when the plan changed or documents lack embeddings.")
def search_index_freshness(context: SensorEvaluationContext, app_db: AppDatabase) -> RunRequest | SkipReason:
    in_flight = context.instance.get_runs(filters=RunsFilter(job_name=search_index_job.name, statuses=IN_FLIGHT),
                                          limit=1)
    if in_flight:  # one rebuild at a time: the next tick sees what changed meanwhile
        return SkipReason("a search_index run is queued or running")
    with app_db.unit_of_work() as session:
        stamp = staleness.plan_stamp(session)
    if stamp == context.cursor:
        return SkipReason("the plan has not changed since the search index was last requested")
    context.update_cursor(stamp)
    return RunRequest(run_key=stamp)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, minimum_interval_seconds=5,
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Ends succeeded the job rows a successful run served and left open (a replay).")
def job_rows_on_success(context: RunStatusSensorContext, app_db: AppDatabase) -> SkipReason:
    ended = job_rows.mirror(app_db.database, context.dagster_run.run_id, JobStatus.succeeded)
    return SkipReason(f"{ended} job rows ended succeeded")


@run_failure_sensor(minimum_interval_seconds=5, default_status=DefaultSensorStatus.RUNNING,
                    description="Ends failed, with the run's error, the job rows of a failed run its code left open.")
def job_rows_on_failure(context: RunFailureSensorContext, app_db: AppDatabase) -> SkipReason:
    message = failure_message(context.get_step_failure_events())
    ended = job_rows.mirror(app_db.database, context.dagster_run.run_id, JobStatus.failed, message)
    return SkipReason(f"{ended} job rows ended failed")


@run_status_sensor(run_status=DagsterRunStatus.CANCELED, minimum_interval_seconds=5,
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Ends cancelled the job rows of a terminated run.")
def job_rows_on_cancel(context: RunStatusSensorContext, app_db: AppDatabase) -> SkipReason:
    ended = job_rows.mirror(app_db.database, context.dagster_run.run_id, JobStatus.cancelled,
                            "Cancelled: the Dagster run was terminated")
    return SkipReason(f"{ended} job rows ended cancelled")


@sensor(minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Ends failed the open job rows whose Dagster run no longer exists.")
def job_rows_of_lost_runs(context: SensorEvaluationContext, app_db: AppDatabase) -> SkipReason:
    with app_db.unit_of_work() as session:
        open_runs = set(session.scalars(select(Job.external_run_id).where(Job.external_run_id.is_not(None),
                                                                          Job.status.in_(lifecycle.ACTIVE))))
    lost = [run_id for run_id in open_runs if run_id and context.instance.get_run_by_id(run_id) is None]
    ended = sum(job_rows.mirror(app_db.database, run_id, JobStatus.failed, "The Dagster run no longer exists")
                for run_id in lost)
    return SkipReason(f"{ended} job rows of lost runs ended failed")


def failure_message(events: Any) -> str:
    """The run's failure as Dagster recorded it (the failing step's error when there is one)."""
    for event in events:
        error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
        if error is not None:
            return f"The Dagster run failed: {root_cause(error)}"
    return "The Dagster run failed; see its logs in the Dagster UI"


def root_cause(error: Any) -> str:
    """The innermost message of a Dagster `SerializableErrorInfo` chain (the user code's own error)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(error.message).strip()


SENSORS = [scan_config_partitions, scan_metrics_schedule, alert_delivery_retries, search_index_freshness,
           job_rows_on_success, job_rows_on_failure, job_rows_on_cancel, job_rows_of_lost_runs]
