"""Scan jobs: queueing one (one at a time per project), launching it, cancelling it, and the run side's
transitions (running → succeeded / failed / cancelled) recorded in short transactions of their own.

Request side: `enqueue` in the request transaction; the route commits, then `launch` hands the job to
the launcher (the run must find a committed row) and records the external run id or the failure.
Run side (a Dagster asset or op): `begin`, `cancel_requested`, then `jobs.finish`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.errors import Conflict, NotFound
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.pagination import PageRequest, paginate
from tripl_core.plan.models import Project
from tripl_core.scans.launching import LaunchFailed, RunLauncher
from tripl_core.scans.models import ScanConfig
from tripl_core.sources import jobs

RUN_KINDS = (JobKind.scan.value, JobKind.replay.value, JobKind.apply_groups.value)
ACTIVE = (JobStatus.pending.value, JobStatus.running.value, JobStatus.cancelling.value)
# A pending job never handed to a launcher (the process died between commit and launch) stops
# blocking its project after this long.
UNLAUNCHED_GRACE = timedelta(minutes=5)


class ScanCancelled(Exception):
    """Raised inside a run that noticed its job was cancelled (a catalog scan checks between two warehouse
    steps); the run ends the job `cancelled`."""


@dataclass(frozen=True)
class StartedRun:
    job_id: uuid.UUID
    scan_config_id: uuid.UUID
    kind: str


def enqueue(session: Session, principal: Principal | None, project: Project, config: ScanConfig,
            kind: JobKind) -> Job:
    """A pending job (`principal` None: started from the command line), unless another scan-like job
    of the project is still pending or running (409: runs of one project never interleave writes)."""
    session.scalar(select(Project.id).where(Project.id == project.id).with_for_update())  # serialise enqueues
    active = _active_job(session, project.id)
    if active is not None:
        raise Conflict(f"Job {active.id} ({active.kind}) is {active.status} in project '{project.slug}'; one scan "
                       "runs at a time per project: wait for it or cancel it")
    job = Job(kind=kind.value, project_id=project.id, data_source_id=config.data_source_id,
              scan_config_id=config.id, status=JobStatus.pending.value, params={},
              created_by_id=principal.user.id if principal else None)
    session.add(job)
    session.flush()
    return job


def launch(session: Session, launcher: RunLauncher, job: Job) -> Job:
    """After the job is committed: start its run and record the run id, or fail the job with the reason."""
    try:
        external_run_id = launcher.launch(job)
    except LaunchFailed as failed:
        job = _reload(session, job.id)
        if not JobStatus(job.status).finished:
            jobs.fail(job, f"Could not start the run: {failed.message}")
        return job
    job = _reload(session, job.id)
    job.external_run_id = external_run_id
    return job


def list_jobs(session: Session, config: ScanConfig, page: PageRequest) -> list[Job]:
    query = select(Job).where(Job.scan_config_id == config.id).order_by(Job.created_at.desc(), Job.id)
    return paginate(session, query, page)[0]


def get_job(session: Session, config: ScanConfig, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.scan_config_id != config.id or job.kind not in RUN_KINDS:
        raise NotFound(f"Job {job_id} not found for scan config '{config.name}'")
    return job


def refresh(session: Session, launcher: RunLauncher, job: Job) -> Job:
    """Mirror what the launcher knows of an unfinished job's run: a run that failed or was cancelled
    before its code could record it (a crash, a terminated queued run) ends the job the same way."""
    if JobStatus(job.status).finished or job.external_run_id is None:
        return job
    observed = launcher.status(job.external_run_id)
    if observed is JobStatus.failed:
        jobs.fail(job, job.error_message or "The Dagster run failed; see its logs in the Dagster UI")
    elif observed is JobStatus.cancelled:
        job.status, job.completed_at = JobStatus.cancelled.value, utcnow()
    return job


def request_cancel(session: Session, launcher: RunLauncher, job: Job) -> Job:
    """Cooperative: a job not started yet is `cancelled` at once; a running one becomes `cancelling`
    and its run stops at its next check (its Dagster run is terminated too)."""
    status = JobStatus(job.status)
    if status.finished:
        raise Conflict(f"Job {job.id} already {job.status}")
    if status is JobStatus.pending:
        job.status, job.completed_at = JobStatus.cancelled.value, utcnow()
        job.error_message = "Cancelled before it started"
    else:
        job.status = JobStatus.cancelling.value
    if job.external_run_id is not None:
        try:
            launcher.terminate(job.external_run_id)
        except LaunchFailed as failed:  # the job's own check still stops the run
            job.error_message = f"Cancel requested; terminating the Dagster run failed: {failed.message}"
    session.flush()
    return job


# -- the run side --------------------------------------------------------------------------------------
def begin(db: Database, job_id: uuid.UUID) -> StartedRun | None:
    """Mark the job running. None when it must not run: cancelled meanwhile, its project or scan config
    deleted (the job, if it still exists, ends cancelled with the reason)."""
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        if job.status in (JobStatus.cancelling.value, JobStatus.cancelled.value):
            mark_cancelled(job, job.error_message or "Cancelled before it started")
            return None
        if job.status != JobStatus.pending.value:
            return None  # already run (a retried Dagster run): never twice
        config = session.get(ScanConfig, job.scan_config_id) if job.scan_config_id else None
        if config is None:
            mark_cancelled(job, "The scan config was deleted before the run started")
            return None
        job.status, job.started_at = JobStatus.running.value, utcnow()
        return StartedRun(job.id, config.id, job.kind)


def cancel_requested(db: Database, job_id: uuid.UUID) -> bool:
    with db.unit_of_work() as session:
        status = session.scalar(select(Job.status).where(Job.id == job_id))
    return status in (None, JobStatus.cancelling.value, JobStatus.cancelled.value)


def end_cancelled(db: Database, job_id: uuid.UUID, message: str = "Cancelled") -> None:
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is not None and not JobStatus(job.status).finished:
            mark_cancelled(job, message)


def mark_cancelled(job: Job, message: str) -> None:
    job.status, job.completed_at = JobStatus.cancelled.value, utcnow()
    job.error_message = message


def _active_job(session: Session, project_id: uuid.UUID) -> Job | None:
    active = session.scalars(select(Job).where(Job.project_id == project_id, Job.kind.in_(RUN_KINDS),
                                               Job.status.in_(ACTIVE)).order_by(Job.created_at)).all()
    for job in active:
        if job.status == JobStatus.pending.value and job.external_run_id is None and \
                job.created_at < utcnow() - UNLAUNCHED_GRACE:
            jobs.fail(job, "The run was never started (the server stopped before launching it)")
            continue
        return job
    return None


def _reload(session: Session, job_id: uuid.UUID) -> Job:
    """The row as it is now: the run may already have moved it on."""
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job


def adopt(db: Database, scan_config_id: uuid.UUID, kind: JobKind, external_run_id: str) -> uuid.UUID | None:
    """A job row for a run started in Dagster itself (the UI, a sensor): pending, owned by nobody.
    None when the scan config is gone or another run of its project is active (never interleave)."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            return None
        session.scalar(select(Project.id).where(Project.id == config.project_id).with_for_update())
        if _active_job(session, config.project_id) is not None:
            return None
        job = Job(kind=kind.value, project_id=config.project_id, data_source_id=config.data_source_id,
                  scan_config_id=config.id, status=JobStatus.pending.value, params={},
                  external_run_id=external_run_id)
        session.add(job)
        session.flush()
        return job.id
