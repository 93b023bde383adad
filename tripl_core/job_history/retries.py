"""Retry a failed run over the same window (a new job linked to the failed one) or dismiss it. A failed
job needs attention until a retry of it succeeds (`lifecycle.succeed`) or someone dismisses it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans import runs

RETRYABLE = frozenset({JobKind.scan.value, JobKind.replay.value, JobKind.apply_groups.value, JobKind.metrics.value})


def retry(session: Session, principal: Principal, job: Job) -> Job:
    """A pending job of the same kind, scan config, params and window, linked to `job`; the caller launches
    it (`jobs.launch.launch`). Refused (409) unless `job` failed and is still open, has no retry running,
    and (for scans, replays and group applications) no other run of its project is active."""
    lifecycle.check_open(job, "retried")
    if job.kind not in RETRYABLE:
        raise Conflict(f"Job {job.id} is a {job.kind}; only scans, replays, group applications and metrics "
                       "collections are retried (run a preview again instead)")
    active = session.scalar(select(Job).where(Job.retry_of_id == job.id, Job.status.in_(lifecycle.ACTIVE)))
    if active is not None:
        raise Conflict(f"Job {active.id} is already retrying job {job.id} ({active.status})")
    config = session.get(ScanConfig, job.scan_config_id) if job.scan_config_id else None
    if config is None:
        raise Conflict(f"Job {job.id} cannot be retried: its scan config was deleted; dismiss it instead")
    project = session.get(Project, job.project_id)
    assert project is not None  # jobs go with their project
    if job.kind == JobKind.metrics.value:
        # Metrics collections run beside scans (the schedule never waits for them), so no project lock.
        retried = Job(kind=job.kind, project_id=job.project_id, data_source_id=config.data_source_id,
                      scan_config_id=config.id, created_by_id=principal.user.id)
        session.add(retried)
    else:
        retried = runs.enqueue(session, principal, project, config, JobKind(job.kind))
    retried.params = {**(job.params or {}), "retry_of": str(job.id)}
    retried.time_from, retried.time_to, retried.retry_of_id = job.time_from, job.time_to, job.id
    session.flush()
    return retried


def dismiss(session: Session, principal: Principal, job: Job) -> Job:
    lifecycle.dismiss(job, principal.user.id)
    session.flush()
    return job

