"""Scan preview: read a few rows of a base query before writing a scan config around it.

Owner only (SEMANTICS §9: scan SQL is the owner's), like saving a scan config's `base_query`: a
preview runs arbitrary read-only SQL on a warehouse and shows its rows. The job row is committed with
the request; the worker is handed the job after that (a background task runs once the response's
transaction has committed), so a poll never misses it."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import BackgroundTasks, Depends

from tripl_api.deps import CurrentPrincipal, DbSession, ProjectAccess, ProjectOwner, State
from tripl_api.routing import api_router
from tripl_core.access.principal import Need
from tripl_core.outbound import outbound_policy
from tripl_core.plan.models import Project
from tripl_core.sources import preview
from tripl_core.sources.schemas import JobOut, PreviewRequest

router = api_router("scans", "/projects/{slug}/scans")
ProjectOwnerReader = Annotated[Project, Depends(ProjectAccess(Need.ADMIN_READ))]


@router.post("/preview", response_model=JobOut, status_code=202)
def preview_scan_config(body: PreviewRequest, project: ProjectOwner, principal: CurrentPrincipal,
                        session: DbSession, state: State, background: BackgroundTasks) -> JobOut:
    """Enqueue a preview job; poll Get Scan Preview Job. An unsafe base_query is refused with 422."""
    job = preview.enqueue(session, principal, project, body)
    background.add_task(state.jobs.submit, partial(preview.run_preview_job, state.db, state.secrets,
                                                            policy=outbound_policy(state.settings)), job.id)
    return JobOut.model_validate(job)


@router.get("/preview-jobs/{job_id}", response_model=JobOut)
def get_scan_preview_job(job_id: uuid.UUID, project: ProjectOwnerReader, session: DbSession) -> JobOut:
    """`result_summary`: `columns` (name, type), `rows` (≤ limit), `row_count`, and `json_paths` (path,
    row count, whether it is kept literally) when asked."""
    return JobOut.model_validate(preview.get_job(session, project, job_id))
