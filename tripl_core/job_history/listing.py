"""Jobs listed newest first, filtered by kind and status (and by whether they still need attention),
cursor-paged; for one project or, for owners, the whole workspace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tripl_core import cursor
from tripl_core.errors import InvalidInput, NotFound
from tripl_core.job_history.schemas import JobListItem, JobPage
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind, JobStatus

KINDS = frozenset(kind.value for kind in JobKind)
STATUSES = frozenset(status.value for status in JobStatus)


@dataclass(frozen=True)
class JobFilter:
    project_id: uuid.UUID | None = None
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    needs_attention: bool | None = None


def list_jobs(session: Session, flt: JobFilter, page_cursor: str | None, limit: int) -> JobPage:
    rows, next_cursor = cursor.newest_first(session, _filtered(flt), Job.created_at, Job.id, page_cursor, limit)
    return JobPage(items=describe(session, rows), next_cursor=next_cursor)


def get(session: Session, job_id: uuid.UUID, project_id: uuid.UUID | None) -> Job:
    job = session.get(Job, job_id)
    if job is None or (project_id is not None and job.project_id != project_id):
        raise NotFound(f"Job {job_id} not found")
    return job


def describe(session: Session, rows: list[Job]) -> list[JobListItem]:
    """Items with the newest retry of each job, found for the whole page in one query."""
    retries: dict[uuid.UUID, uuid.UUID] = {}
    if rows:
        for retry_of, retry_id in session.execute(
                select(Job.retry_of_id, Job.id).where(Job.retry_of_id.in_([j.id for j in rows]))
                .order_by(Job.created_at)):
            if retry_of is not None:
                retries[retry_of] = retry_id
    return [JobListItem.model_validate(job).model_copy(update={
        "retried_by_id": retries.get(job.id), "needs_attention": lifecycle.needs_attention(job), **_window(job)})
        for job in rows]


def _window(job: Job) -> dict[str, datetime]:
    """A replay keeps its range in its params (its rows predate the window columns, or were made by the
    replay route): shown as its window."""
    if job.time_from is not None or "time_from" not in (job.params or {}) or "time_to" not in job.params:
        return {}
    try:
        return {"time_from": datetime.fromisoformat(str(job.params["time_from"])),
                "time_to": datetime.fromisoformat(str(job.params["time_to"]))}
    except ValueError:
        return {}




def check_filter(kinds: list[str] | None, statuses: list[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    unknown_kinds = sorted(set(kinds or ()) - KINDS)
    if unknown_kinds:
        raise InvalidInput(f"Unknown job kind {', '.join(unknown_kinds)}; kinds are {', '.join(sorted(KINDS))}",
                           details=[{"field": "kind"}])
    unknown = sorted(set(statuses or ()) - STATUSES)
    if unknown:
        raise InvalidInput(f"Unknown job status {', '.join(unknown)}; statuses are {', '.join(sorted(STATUSES))}",
                           details=[{"field": "status"}])
    return tuple(kinds or ()), tuple(statuses or ())


def _filtered(flt: JobFilter) -> Select[Job]:
    query = select(Job)
    if flt.project_id is not None:
        query = query.where(Job.project_id == flt.project_id)
    if flt.kinds:
        query = query.where(Job.kind.in_(flt.kinds))
    if flt.statuses:
        query = query.where(Job.status.in_(flt.statuses))
    if flt.needs_attention is True:
        query = query.where(Job.status == JobStatus.failed.value, Job.resolution.is_(None))
    elif flt.needs_attention is False:
        query = query.where((Job.status != JobStatus.failed.value) | Job.resolution.is_not(None))
    return query
