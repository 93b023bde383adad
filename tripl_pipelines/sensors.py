"""Sensors: the scan config partitions kept equal to the app database, and job rows mirrored from the
Dagster runs that serve them (a run that failed or was terminated before its code could say so)."""

from __future__ import annotations

from typing import Any

from dagster import (
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlalchemy import select

from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.jobs.run_status import job_status_of_run
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.launching import PARTITIONS
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase


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


@sensor(minimum_interval_seconds=10, default_status=DefaultSensorStatus.RUNNING,
        description="Ends job rows whose Dagster run failed or was cancelled without recording it.")
def scan_job_status(context: SensorEvaluationContext, app_db: AppDatabase) -> SkipReason:
    mirrored = 0
    with app_db.unit_of_work() as session:
        unfinished = session.scalars(select(Job).where(Job.external_run_id.is_not(None),
                                                       Job.status.in_(lifecycle.ACTIVE)))
        for job in unfinished:
            assert job.external_run_id is not None
            run = context.instance.get_run_by_id(job.external_run_id)
            outcome = job_status_of_run(run.status.value) if run is not None else JobStatus.failed
            if outcome is JobStatus.failed:
                lifecycle.fail(job, run_failure_message(context, job.external_run_id) if run else
                               "The Dagster run no longer exists")
            elif outcome is JobStatus.cancelled:
                lifecycle.cancel(job, job.error_message or "Cancelled: the Dagster run was terminated")
            else:
                continue  # the run is still going, or succeeded (its code records that itself)
            mirrored += 1
    return SkipReason(f"{mirrored} job rows mirrored from their Dagster runs")


def run_failure_message(context: SensorEvaluationContext, run_id: str) -> str:
    """The run's failure as Dagster recorded it (the failing step's error when there is one)."""
    for entry in context.instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.is_failure:
            continue
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            return f"The Dagster run failed: {root_cause(error)}"
    return "The Dagster run failed; see its logs in the Dagster UI"


def root_cause(error: Any) -> str:
    """The innermost message of a Dagster `SerializableErrorInfo` chain (the user code's own error)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(error.message).strip()
