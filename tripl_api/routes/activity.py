from __future__ import annotations

from typing import Annotated

from fastapi import Query

from tripl_api.deps import DbSession, ProjectReader, Reader
from tripl_api.routing import api_router
from tripl_core.access import activity
from tripl_core.access.schemas import ActivityOut

router = api_router("activity", "/activity")

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("", response_model=list[ActivityOut])
def list_workspace_activity(principal: Reader, session: DbSession, limit: Limit = 20) -> list[ActivityOut]:
    """Recent activity across the projects you can see, newest first."""
    entries = activity.list_entries(session, limit=limit, project_id=principal.bound_project_id)
    return [ActivityOut.model_validate(e) for e in entries]


@router.get("/projects/{slug}", response_model=list[ActivityOut])
def list_project_activity(project: ProjectReader, session: DbSession, limit: Limit = 20) -> list[ActivityOut]:
    """Recent activity of one project, newest first."""
    return [ActivityOut.model_validate(e) for e in activity.list_entries(session, limit=limit,
                                                                          project_id=project.id)]
