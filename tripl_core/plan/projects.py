"""Projects: one tracking plan each, created with its `main` branch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict, NotFound
from tripl_core.plan.changes import update_recorded
from tripl_core.plan.models import MAIN_BRANCH, Branch, BranchKind, Project
from tripl_core.plan.project_summary import SummaryContributor, project_summaries
from tripl_core.plan.schemas import ProjectCreate, ProjectOut, ProjectUpdate


def list_visible(session: Session, principal: Principal) -> list[Project]:
    query = select(Project).order_by(Project.name, Project.slug)
    if principal.bound_project_id is not None:
        query = query.where(Project.id == principal.bound_project_id)
    return list(session.scalars(query))


def get_by_slug(session: Session, slug: str) -> Project:
    project = session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise NotFound(f"Project '{slug}' not found")
    return project


def main_branch_id(session: Session, project_id: uuid.UUID) -> uuid.UUID:
    branch_id = session.scalar(select(Branch.id).where(Branch.project_id == project_id,
                                                       Branch.kind == BranchKind.main.value))
    if branch_id is None:  # every project is created with one; its absence is a broken database
        raise RuntimeError(f"project {project_id} has no main branch")
    return branch_id


def create(session: Session, principal: Principal, data: ProjectCreate) -> Project:
    _ensure_slug_free(session, data.slug)
    project = Project(name=data.name, slug=data.slug, description=data.description)
    session.add(project)
    session.flush()
    session.add(Branch(project_id=project.id, name=MAIN_BRANCH, kind=BranchKind.main.value,
                       status="approved", created_by_id=principal.user.id))
    activity.record(session, project, actor=principal, kind="project.created", entity_type="project",
                    entity_id=project.id, entity_name=project.name, summary=f"Created project {project.name}")
    session.flush()
    return project


def update(session: Session, principal: Principal, project: Project, data: ProjectUpdate) -> Project:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "slug" in changes and changes["slug"] != project.slug:
        _ensure_slug_free(session, changes["slug"])
    name = str(changes.get("name", project.name))
    update_recorded(session, principal, project, project, changes, entity_type="project", entity_name=name,
                    what=f"project {name}")
    return project


def delete(session: Session, principal: Principal, project: Project) -> None:
    activity.record(session, project, actor=principal, kind="project.deleted", entity_type="project",
                    entity_id=project.id, entity_name=project.name, summary=f"Deleted project {project.name}")
    session.delete(project)
    session.flush()


def _ensure_slug_free(session: Session, slug: str) -> None:
    if session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
        raise Conflict(f"A project with slug '{slug}' already exists")


def describe(session: Session, items: list[Project],
             contributors: Sequence[SummaryContributor]) -> list[ProjectOut]:
    """Project responses with their summaries (the plan's counts and the contributors'), computed for the
    whole batch at once."""
    summaries = project_summaries(session, [p.id for p in items], contributors)
    return [ProjectOut.model_validate(p).model_copy(update={"summary": summaries[p.id]}) for p in items]
