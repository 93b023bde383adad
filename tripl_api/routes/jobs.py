"""Jobs of every kind (beyond the reference): listed per project and workspace-wide (owners), filtered by
kind and status, newest first with a cursor; a failed run retried over the same window or dismissed.
Listing is for every role of the project; retrying and dismissing are the editor's."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from tripl_api.deps import CurrentPrincipal, DbSession, OwnerReader, ProjectReader, ProjectWriter, State
from tripl_api.routing import api_router
from tripl_core.job_history import listing, retries
from tripl_core.job_history.schemas import JobListItem, JobPage
from tripl_core.jobs.launch import launch

router = api_router("jobs", "/projects/{slug}/jobs")
workspace_router = api_router("jobs", "/jobs")

Kinds = Annotated[list[str] | None, Query(alias="kind", description="Any of these kinds (repeat the parameter)")]
Statuses = Annotated[list[str] | None, Query(alias="status", description="Any of these statuses")]
Attention = Annotated[bool | None, Query(description="true: failed jobs not yet retried successfully nor "
                                                     "dismissed; false: the others")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("", response_model=JobPage)
def list_project_jobs(project: ProjectReader, session: DbSession, kind: Kinds = None, status: Statuses = None,
                      needs_attention: Attention = None, cursor: Cursor = None, limit: Limit = 50) -> JobPage:
    """The project's jobs, newest first."""
    kinds, statuses = listing.check_filter(kind, status)
    return listing.list_jobs(session, listing.JobFilter(project.id, kinds, statuses, needs_attention), cursor, limit)


@workspace_router.get("", response_model=JobPage)
def list_jobs(principal: OwnerReader, session: DbSession, kind: Kinds = None, status: Statuses = None,
              needs_attention: Attention = None, cursor: Cursor = None, limit: Limit = 50) -> JobPage:
    """Jobs of every project, newest first (owner only; a key bound to a project sees that project's)."""
    kinds, statuses = listing.check_filter(kind, status)
    flt = listing.JobFilter(principal.bound_project_id, kinds, statuses, needs_attention)
    return listing.list_jobs(session, flt, cursor, limit)


@router.get("/{job_id}", response_model=JobListItem)
def get_job(job_id: uuid.UUID, project: ProjectReader, session: DbSession) -> JobListItem:
    return listing.describe(session, [listing.get(session, job_id, project.id)])[0]


@router.post("/{job_id}/retry", response_model=JobListItem, status_code=202)
def retry_job(job_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal, session: DbSession,
              state: State) -> JobListItem:
    """A new run over the failed job's window, linked to it (`retry_of_id`); 409 unless the job failed and
    is still open."""
    retried = retries.retry(session, principal, listing.get(session, job_id, project.id))
    return listing.describe(session, [launch(session, state.launcher, retried)])[0]


@router.post("/{job_id}/dismiss", response_model=JobListItem)
def dismiss_job(job_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal,
                session: DbSession) -> JobListItem:
    """The failed job no longer needs attention (it stays in the list, `resolution` = dismissed)."""
    job = retries.dismiss(session, principal, listing.get(session, job_id, project.id))
    return listing.describe(session, [job])[0]
