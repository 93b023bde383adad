"""Job lifecycle shared by every kind of run: each run ends succeeded, failed or cancelled."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job, JobResolution, JobStatus


def finish(db: Database, job_id: uuid.UUID, status: JobStatus, *, error_message: str | None = None,
           result_summary: dict[str, Any] | None = None) -> None:
    """Record a run's end in its own short transaction (runs happen outside any request)."""
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None:  # its project was deleted meanwhile
            return
        if status is JobStatus.failed:
            fail(job, error_message or "The job failed without a message")
        else:
            job.status, job.completed_at = status.value, utcnow()
            job.result_summary = result_summary or {}
        if status is JobStatus.succeeded:
            resolve_retried(session, job)


def fail(job: Job, message: str) -> None:
    job.status, job.completed_at, job.error_message = JobStatus.failed.value, utcnow(), message


def fail_unstarted(db: Database, job_ids: list[uuid.UUID]) -> None:
    """Jobs a stopping process had queued but never started: failed, so nobody polls them forever."""
    for job_id in job_ids:
        finish(db, job_id, JobStatus.failed, error_message="The server stopped before this job ran")


def record_progress(db: Database, job_id: uuid.UUID, summary: dict[str, Any]) -> None:
    """A running job's summary so far (a replay's chunks done), in its own short transaction; a job that
    already ended keeps its final summary."""
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is not None and not JobStatus(job.status).finished:
            job.result_summary = summary


def resolve_retried(session: Session, job: Job) -> None:
    """`job` succeeded: every failed job it retried (directly or through earlier retries) no longer needs
    attention."""
    seen: set[uuid.UUID] = set()
    current = job
    while current.retry_of_id is not None and current.retry_of_id not in seen:
        seen.add(current.retry_of_id)
        original = session.get(Job, current.retry_of_id)
        if original is None:
            return
        if original.status == JobStatus.failed.value and original.resolution is None:
            original.resolution, original.resolved_at = JobResolution.retried.value, utcnow()
        current = original
