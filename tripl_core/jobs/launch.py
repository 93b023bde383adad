"""How a job's run is started: the one `launch` every caller uses (API routes, the CLI, the demo, `tripl up`).

The API and the CLI hold a `RunLauncher` chosen at start-up (the Dagster webserver's GraphQL API, or
in-process execution of the same definitions); the core knows only this protocol. The Dagster job
names and run tags both sides agree on are in `tripl_core.scans.launching`."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from tripl_core.db.units import commit_so_far
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobStatus


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


def launch(session: Session, launcher: RunLauncher, job: Job) -> Job:
    """Start the run of `job`, queued (pending) in `session`'s unit of work.

    The run reads its job row from another process or thread, so the unit of work that queued it is
    committed first (`commit_so_far`, once, here and nowhere else); then the launcher gets the job, and the
    run id — or the failure, with the launcher's reason — is recorded in the session's next unit of work,
    which its owner commits. Returns the row as it is now (the run may already have moved it on)."""
    commit_so_far(session)
    try:
        external_run_id = launcher.launch(job)
    except LaunchFailed as failed:
        job = _reload(session, job.id)
        if not JobStatus(job.status).finished:
            lifecycle.fail(job, f"Could not start the run: {failed.message}")
        session.flush()
        return job
    job = _reload(session, job.id)
    job.external_run_id = external_run_id
    session.flush()
    return job


def refresh(launcher: RunLauncher, job: Job) -> Job:
    """Mirror what the launcher knows of an unfinished job's run: a run that failed or was cancelled
    before its code could record it (a crash, a terminated queued run) ends the job the same way."""
    if JobStatus(job.status).finished or job.external_run_id is None:
        return job
    observed = launcher.status(job.external_run_id)
    if observed is JobStatus.failed:
        lifecycle.fail(job, job.error_message or "The Dagster run failed; see its logs in the Dagster UI")
    elif observed is JobStatus.cancelled:
        lifecycle.cancel(job, job.error_message or "Cancelled: the Dagster run was terminated")
    return job


def request_cancel(session: Session, launcher: RunLauncher, job: Job) -> Job:
    """Cooperative cancel (`lifecycle.request_cancel`); a launched run is also asked to terminate."""
    lifecycle.request_cancel(job)
    if job.external_run_id is not None:
        try:
            launcher.terminate(job.external_run_id)
        except LaunchFailed as failed:  # the job's own check still stops the run
            job.error_message = f"Cancel requested; terminating the Dagster run failed: {failed.message}"
    session.flush()
    return job


def _reload(session: Session, job_id: uuid.UUID) -> Job:
    """The row as it is now: the run may already have moved it on."""
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job
