"""The one job lifecycle (SEMANTICS §2 "Jobs"): every status change of every kind of job goes through here.

    pending ──start──▶ running ──succeed / fail / cancel──▶ succeeded / failed / cancelled
       │                  └──request_cancel──▶ cancelling ──succeed / fail / cancel──▶ (ended)
       └──fail / cancel / request_cancel (cancelled at once)──▶ failed / cancelled

An ended job (succeeded, failed, cancelled) never changes status again: a refused transition raises
`TransitionRefused` (a 409 when a request asked for it). A failed job then leaves the "needs attention"
list through its `resolution` (a successful retry, or someone dismissing it) — never through its status.

Two surfaces:
- transitions on a `Job` of the caller's session (`start`, `succeed`, `fail`, `cancel`, `request_cancel`,
  `record_progress`, `dismiss`): they change the row and never flush or commit;
- the run side's `*_run` functions, each in a short transaction of its own: runs happen outside any request
  and their job may have ended meanwhile (cancelled, mirrored from a failed Dagster run), in which case the
  first recorded end stands and the later one is dropped (logged)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.errors import Conflict
from tripl_core.jobs.models import Job, JobResolution, JobStatus

log = logging.getLogger(__name__)

ACTIVE = (JobStatus.pending, JobStatus.running, JobStatus.cancelling)
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.pending: frozenset({JobStatus.running, JobStatus.failed, JobStatus.cancelled}),
    JobStatus.running: frozenset({JobStatus.cancelling, JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled}),
    # A run asked to stop may still finish its work (or fail) before its next check.
    JobStatus.cancelling: frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled}),
    JobStatus.succeeded: frozenset(),
    JobStatus.failed: frozenset(),
    JobStatus.cancelled: frozenset(),
}
NOT_STARTED = "Cancelled before it started"


class TransitionRefused(Conflict):
    """The job's status does not allow that change (e.g. succeeding a cancelled job)."""


def _move(job: Job, to: JobStatus) -> None:
    current = JobStatus(job.status)
    if to not in ALLOWED[current]:
        raise TransitionRefused(f"Job {job.id} is {current}; it cannot become {to}")
    job.status = to
    if to.finished:
        job.completed_at = utcnow()


# -- transitions on a job of the caller's session -------------------------------------------------------
def start(job: Job) -> None:
    _move(job, JobStatus.running)
    job.started_at = utcnow()


def succeed(session: Session, job: Job, summary: dict[str, Any] | None) -> None:
    """Ended succeeded with its summary (None keeps what its steps recorded); every failed job it retried
    no longer needs attention."""
    _move(job, JobStatus.succeeded)
    if summary is not None:
        job.result_summary = summary
    _resolve_retried(session, job)


def fail(job: Job, message: str) -> None:
    _move(job, JobStatus.failed)
    job.error_message = message


def cancel(job: Job, message: str) -> None:
    _move(job, JobStatus.cancelled)
    job.error_message = message


def request_cancel(job: Job, message: str = NOT_STARTED) -> None:
    """Cooperative: a job not started yet is cancelled at once (with `message`); a running one becomes
    `cancelling` and its run stops at its next check; asking again while it stops changes nothing."""
    status = JobStatus(job.status)
    if status is JobStatus.pending:
        cancel(job, message)
    elif status is not JobStatus.cancelling:
        if status.finished:
            raise TransitionRefused(f"Job {job.id} already {status}")
        _move(job, JobStatus.cancelling)


def record_progress(job: Job, summary: dict[str, Any]) -> None:
    """A running job's summary so far (a replay's chunks done); an ended job keeps its final summary."""
    if not JobStatus(job.status).finished:
        job.result_summary = summary


def dismiss(job: Job, user_id: uuid.UUID) -> None:
    """A failed job that needs no retry: it stays failed and leaves the "needs attention" list."""
    check_open(job, "dismissed")
    job.resolution, job.resolved_at, job.resolved_by_id = JobResolution.dismissed, utcnow(), user_id


def check_open(job: Job, what: str) -> None:
    """Only a failed job that was neither retried successfully nor dismissed can be `what`."""
    if job.status != JobStatus.failed:
        raise TransitionRefused(f"Job {job.id} is {job.status}; only failed jobs are {what}")
    if job.resolution is not None:
        raise TransitionRefused(f"Job {job.id} was already {job.resolution}")


def needs_attention(job: Job) -> bool:
    return job.status == JobStatus.failed and job.resolution is None


def _resolve_retried(session: Session, job: Job) -> None:
    """`job` succeeded: every failed job it retried (directly or through earlier retries) is resolved."""
    seen: set[uuid.UUID] = set()
    current = job
    while current.retry_of_id is not None and current.retry_of_id not in seen:
        seen.add(current.retry_of_id)
        original = session.get(Job, current.retry_of_id)
        if original is None:
            return
        if needs_attention(original):
            original.resolution, original.resolved_at = JobResolution.retried, utcnow()
        current = original


# -- the run side: each in a short transaction of its own ------------------------------------------------
def succeed_run(db: Database, job_id: uuid.UUID, summary: dict[str, Any] | None) -> None:
    _on_run(db, job_id, "succeed", lambda session, job: succeed(session, job, summary))


def fail_run(db: Database, job_id: uuid.UUID, message: str) -> None:
    _on_run(db, job_id, "fail", lambda _session, job: fail(job, message))


def cancel_run(db: Database, job_id: uuid.UUID, message: str = "Cancelled") -> None:
    _on_run(db, job_id, "cancel", lambda _session, job: cancel(job, message))


def record_run_progress(db: Database, job_id: uuid.UUID, summary: dict[str, Any]) -> None:
    _on_run(db, job_id, "record progress of", lambda _session, job: record_progress(job, summary))


def fail_unstarted(db: Database, job_ids: list[uuid.UUID]) -> None:
    """Jobs a stopping process had queued but never started: failed, so nobody polls them forever."""
    for job_id in job_ids:
        fail_run(db, job_id, "The server stopped before this job ran")


def cancel_requested(db: Database, job_id: uuid.UUID) -> bool:
    """What a run checks between two steps: its job is being (or was) cancelled, or is gone."""
    with db.unit_of_work() as session:
        status = session.scalar(select(Job.status).where(Job.id == job_id))
    return status in (None, JobStatus.cancelling, JobStatus.cancelled)


def _on_run(db: Database, job_id: uuid.UUID, what: str, change: Callable[[Session, Job], None]) -> None:
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None:  # its project was deleted meanwhile
            return
        try:
            change(session, job)
        except TransitionRefused as refused:
            log.info("did not %s job %s: %s", what, job_id, refused.message)
