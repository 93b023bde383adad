"""Scan configs and their jobs. Who may do what (SEMANTICS §9): reading configs and jobs is for every
role and key of the project; writing a config (scan SQL) is the owner's; running, applying event groups
and cancelling are the editor's.

A run's job row is committed before the launcher is called (`tripl_core.jobs.launch.launch`), so the run
always finds it; one scan job at a time per project (409 naming the active job)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from tripl_api.deps import CurrentPrincipal, DbSession, Offset, ProjectOwner, ProjectReader, ProjectWriter, State
from tripl_api.routing import api_router
from tripl_core.jobs import launch
from tripl_core.jobs.models import JobKind
from tripl_core.pagination import PageRequest
from tripl_core.scans import configs, runs
from tripl_core.scans.row_limit_defaults import with_row_limit_defaults
from tripl_core.scans.schemas import ScanConfigCreate, ScanConfigOut, ScanConfigUpdate, ScanJobOut

router = api_router("scans", "/projects/{slug}/scans")


@router.get("", response_model=list[ScanConfigOut])
def list_scan_configs(project: ProjectReader, session: DbSession) -> list[ScanConfigOut]:
    return [ScanConfigOut.model_validate(c) for c in configs.list_configs(session, project)]


@router.post("", response_model=ScanConfigOut, status_code=201)
def create_scan_config(body: ScanConfigCreate, project: ProjectOwner, principal: CurrentPrincipal,
                       session: DbSession, state: State) -> ScanConfigOut:
    """Checked against the data source: the read-only guard, and every column the config names (format
    placeholders included) must be in the base query's result. 422 names each offending field. A
    project-bound key may attach only a data source its project's scan configs already use (404 otherwise)."""
    body = with_row_limit_defaults(body, state.store.current().runtime)  # unset limits: the service's
    made = configs.create(session, state.secrets, project, body, visible_to=principal.bound_project_id)
    return ScanConfigOut.model_validate(made)


@router.get("/{scan_id}", response_model=ScanConfigOut)
def get_scan_config(scan_id: uuid.UUID, project: ProjectReader, session: DbSession) -> ScanConfigOut:
    return ScanConfigOut.model_validate(configs.get(session, project, scan_id))


@router.patch("/{scan_id}", response_model=ScanConfigOut)
def update_scan_config(scan_id: uuid.UUID, body: ScanConfigUpdate, project: ProjectOwner, session: DbSession,
                       state: State) -> ScanConfigOut:
    """Absent fields are kept; null clears an optional field. The result is checked like a new config."""
    config = configs.update(session, state.secrets, project, configs.get(session, project, scan_id), body)
    return ScanConfigOut.model_validate(config)


@router.delete("/{scan_id}", status_code=204, response_class=Response)
def delete_scan_config(scan_id: uuid.UUID, project: ProjectOwner, session: DbSession) -> Response:
    """Its jobs are kept (with `scan_config_id` null); a queued one is cancelled, a running one stops."""
    configs.delete(session, configs.get(session, project, scan_id))
    return Response(status_code=204)


@router.post("/{scan_id}/run", response_model=ScanJobOut, status_code=202)
def run_scan(scan_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal, session: DbSession,
             state: State) -> ScanJobOut:
    """Queue a catalog scan on Dagster; poll Get Scan Job. 409 while another scan of the project runs."""
    return _start(session, state, principal, project, scan_id, JobKind.scan)


@router.post("/{scan_id}/event-groups/apply", response_model=ScanJobOut, status_code=202)
def apply_scan_event_groups(scan_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal,
                            session: DbSession, state: State) -> ScanJobOut:
    """Fold existing events that the config's event group rules now cover into the rules' events."""
    return _start(session, state, principal, project, scan_id, JobKind.apply_groups)


@router.get("/{scan_id}/jobs", response_model=list[ScanJobOut])
def list_scan_jobs(scan_id: uuid.UUID, project: ProjectReader, session: DbSession,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Offset = 0) -> list[ScanJobOut]:
    """Newest first."""
    config = configs.get(session, project, scan_id)
    return [ScanJobOut.model_validate(j) for j in runs.list_jobs(session, config, PageRequest(offset, limit))]


@router.get("/{scan_id}/jobs/{job_id}", response_model=ScanJobOut)
def get_scan_job(scan_id: uuid.UUID, job_id: uuid.UUID, project: ProjectReader, session: DbSession,
                 state: State) -> ScanJobOut:
    job = runs.get_job(session, configs.get(session, project, scan_id), job_id)
    return ScanJobOut.model_validate(launch.refresh(state.launcher, job))


@router.post("/{scan_id}/jobs/{job_id}/cancel", response_model=ScanJobOut)
def cancel_scan_job(scan_id: uuid.UUID, job_id: uuid.UUID, project: ProjectWriter, session: DbSession,
                    state: State) -> ScanJobOut:
    """Cooperative: answers at once with the job `cancelled` (not started yet) or `cancelling`."""
    job = runs.get_job(session, configs.get(session, project, scan_id), job_id)
    return ScanJobOut.model_validate(launch.request_cancel(session, state.launcher, job))


def _start(session: DbSession, state: State, principal: CurrentPrincipal, project: ProjectWriter,
           scan_id: uuid.UUID, kind: JobKind) -> ScanJobOut:
    job = runs.enqueue(session, principal, project, configs.get(session, project, scan_id), kind)
    return ScanJobOut.model_validate(launch.launch(session, state.launcher, job))
