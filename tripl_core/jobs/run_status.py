"""The one map from a Dagster run's status to the status of its job, keyed by the status's name as
Dagster spells it (`DagsterRunStatus.<NAME>.value`, and the GraphQL API's `Run.status`): the core does
not import Dagster, and both the API's launcher and the pipelines read this map."""

from __future__ import annotations

from tripl_core.jobs.models import JobStatus

DAGSTER_RUN_STATUSES: dict[str, JobStatus] = {
    "QUEUED": JobStatus.pending, "NOT_STARTED": JobStatus.pending, "STARTING": JobStatus.pending,
    "MANAGED": JobStatus.pending, "STARTED": JobStatus.running, "CANCELING": JobStatus.cancelling,
    "SUCCESS": JobStatus.succeeded, "FAILURE": JobStatus.failed, "CANCELED": JobStatus.cancelled,
    # A suspended run started and was paused (it may resume): not ended, so its job is not ended either.
    "SUSPENDED": JobStatus.running,
}


def job_status_of_run(dagster_status: str) -> JobStatus | None:
    """The job status a run in `dagster_status` means; None for a status this map does not know."""
    return DAGSTER_RUN_STATUSES.get(dagster_status)
