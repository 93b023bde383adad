from __future__ import annotations

from fastapi import Request, Response

from tripl_api.deps import (
    CurrentPrincipal,
    DbSession,
    ProjectOwner,
    ProjectReader,
    ProjectWriter,
    Reader,
    State,
    WorkspaceWriter,
)
from tripl_api.routing import api_router
from tripl_core.demo.project import create_demo_project as build_demo_project
from tripl_core.observe import plan_views
from tripl_core.plan import projects
from tripl_core.plan.schemas import ProjectCreate, ProjectOut, ProjectUpdate

router = api_router("projects", "/projects")


@router.get("", response_model=list[ProjectOut])
def list_projects(principal: Reader, session: DbSession) -> list[ProjectOut]:
    """Every project you can see (a key bound to a project sees only that one)."""
    return plan_views.describe_projects(session, projects.list_visible(session, principal))


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectCreate, principal: WorkspaceWriter, session: DbSession,
                   request: Request) -> ProjectOut:
    """Create a project with its `main` plan branch."""
    request.state.project = project = projects.create(session, principal, body)  # audit names it
    return plan_views.describe_projects(session, [project])[0]


# Declared before the `/{slug}` routes; POST /projects/demo shares no method with them anyway.
@router.post("/demo", response_model=ProjectOut, status_code=201)
def create_demo_project(principal: WorkspaceWriter, session: DbSession, state: State,
                        request: Request) -> ProjectOut:
    """A working demo project on a synthetic warehouse tripl generates (chDB, 35 days of a shop app's
    events with planted spikes, drops, drifts, a dead and an unplanned event): a `chdb` data source, the
    project (slug `demo`, `demo-2`, …) with its plan, a scan config on a 15-minute interval, and its first
    scan already launched (find the job with List Scan Jobs)."""
    demo = build_demo_project(session, principal, state.secrets, state.settings.state_dir, state.launcher)
    request.state.project = demo.project  # audit names it
    return plan_views.describe_projects(session, [demo.project])[0]


@router.get("/{slug}", response_model=ProjectOut)
def get_project(project: ProjectReader, session: DbSession) -> ProjectOut:
    return plan_views.describe_projects(session, [project])[0]


@router.patch("/{slug}", response_model=ProjectOut)
def update_project(body: ProjectUpdate, project: ProjectWriter, principal: CurrentPrincipal,
                   session: DbSession) -> ProjectOut:
    """Rename, re-slug or re-describe a project. A taken slug answers 409."""
    return plan_views.describe_projects(session, [projects.update(session, principal, project, body)])[0]


@router.delete("/{slug}", status_code=204, response_class=Response)
def delete_project(project: ProjectOwner, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Delete a project and everything in it (owner only)."""
    projects.delete(session, principal, project)
    return Response(status_code=204)
