"""How a scan job reaches Dagster. The API and the CLI hold a `RunLauncher` chosen at start-up (the
Dagster webserver's GraphQL API, or in-process execution of the same definitions); the core only knows
this protocol and the Dagster job names and tags the two sides agree on."""

from __future__ import annotations

import uuid
from typing import Protocol

from tripl_core.sources.models import Job, JobKind, JobStatus

# Dagster job per job kind; the partition key is the scan config id.
METRICS_JOB = "scan_metrics"
DAGSTER_JOBS: dict[str, str] = {JobKind.scan.value: "catalog_scan", JobKind.apply_groups.value: "apply_event_groups",
                                 JobKind.replay.value: "replay_scan_metrics", JobKind.metrics.value: METRICS_JOB}
# Scheduled metrics collections are requested by a sensor; their window rides on two tags, and their job
# row is made by the run itself (a retry launched from the API brings its own, named by JOB_ID_TAG).
TIME_FROM_TAG = "tripl/time_from"
TIME_TO_TAG = "tripl/time_to"
PARTITIONS = "scan_configs"
JOB_ID_TAG = "tripl/job_id"
KIND_TAG = "tripl/kind"
PROJECT_TAG = "tripl/project_id"


class LaunchFailed(Exception):
    """The launcher could not hand the job to Dagster; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunLauncher(Protocol):
    def launch(self, job: Job) -> str:
        """Start a run for `job` (committed, pending) and return its external run id."""

    def terminate(self, external_run_id: str) -> None:
        """Ask the run to stop; returns at once (the run ends itself and its job row)."""

    def status(self, external_run_id: str) -> JobStatus | None:
        """The run's state as a job status, None when the launcher does not know the run."""


def run_tags(job: Job) -> dict[str, str]:
    tags = {JOB_ID_TAG: str(job.id), KIND_TAG: job.kind, PROJECT_TAG: str(job.project_id)}
    if job.time_from is not None and job.time_to is not None:
        tags.update({TIME_FROM_TAG: job.time_from.isoformat(), TIME_TO_TAG: job.time_to.isoformat()})
    return tags


def dagster_job_name(job: Job) -> str:
    try:
        return DAGSTER_JOBS[job.kind]
    except KeyError:
        raise LaunchFailed(f"Jobs of kind '{job.kind}' do not run on Dagster") from None


def partition_key(job: Job) -> str:
    if job.scan_config_id is None:
        raise LaunchFailed("The job's scan config was deleted")
    return str(job.scan_config_id)


def job_id_from_tags(tags: dict[str, str]) -> uuid.UUID | None:
    raw = tags.get(JOB_ID_TAG)
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
