"""Scan jobs (scans, replays, group applications): queueing one (one at a time per project) and the start
of its run. Every status change goes through `tripl_core.jobs.lifecycle`; starting the run through
`tripl_core.jobs.launch.launch`.

Request side: `enqueue` in the request's unit of work, then `launch`.
Run side (a Dagster asset or op): `adopt` (a run started in Dagster itself), `begin`, then the
lifecycle's `*_run` functions."""

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
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.pagination import PageRequest, paginate
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

RUN_KINDS = (JobKind.scan.value, JobKind.replay.value, JobKind.apply_groups.value)
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
              scan_config_id=config.id, params={}, created_by_id=principal.user.id if principal else None)
    session.add(job)
    session.flush()
    return job


def list_jobs(session: Session, config: ScanConfig, page: PageRequest) -> list[Job]:
    query = select(Job).where(Job.scan_config_id == config.id).order_by(Job.created_at.desc(), Job.id)
    return paginate(session, query, page)[0]


def get_job(session: Session, config: ScanConfig, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.scan_config_id != config.id or job.kind not in RUN_KINDS:
        raise NotFound(f"Job {job_id} not found for scan config '{config.name}'")
    return job


# -- the run side --------------------------------------------------------------------------------------
def begin(db: Database, job_id: uuid.UUID) -> StartedRun | None:
    """Mark the job running. None when it must not run: cancelled meanwhile, its project or scan config
    deleted (the job, if it still exists, ends cancelled with the reason)."""
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        if job.status == JobStatus.cancelling:  # asked to stop while its run was queued
            lifecycle.cancel(job, job.error_message or lifecycle.NOT_STARTED)
            return None
        if job.status != JobStatus.pending:
            return None  # cancelled, or already run (a retried Dagster run): never twice
        config = session.get(ScanConfig, job.scan_config_id) if job.scan_config_id else None
        if config is None:
            lifecycle.cancel(job, "The scan config was deleted before the run started")
            return None
        lifecycle.start(job)
        return StartedRun(job.id, config.id, job.kind)


def _active_job(session: Session, project_id: uuid.UUID) -> Job | None:
    active = session.scalars(select(Job).where(Job.project_id == project_id, Job.kind.in_(RUN_KINDS),
                                               Job.status.in_(lifecycle.ACTIVE)).order_by(Job.created_at)).all()
    for job in active:
        if job.status == JobStatus.pending and job.external_run_id is None and \
                job.created_at < utcnow() - UNLAUNCHED_GRACE:
            lifecycle.fail(job, "The run was never started (the server stopped before launching it)")
            continue
        return job
    return None


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
                  scan_config_id=config.id, params={}, external_run_id=external_run_id)
        session.add(job)
        session.flush()
        return job.id
