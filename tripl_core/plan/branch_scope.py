"""Which branch of a project a plan request reads or writes: `?branch=<id>`, main when absent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.plan.models import Branch, BranchKind, BranchStatus, Project

R = TypeVar("R", bound=Any)  # a plan model: has `id` and `branch_id`
READ_ONLY_STATUSES = frozenset({BranchStatus.merged.value, BranchStatus.closed.value})


@dataclass(frozen=True)
class PlanScope:
    """The project and branch every plan service works in."""

    project: Project
    branch_id: uuid.UUID
    is_main: bool

    @property
    def project_id(self) -> uuid.UUID:
        return self.project.id


def resolve(session: Session, project: Project, branch_id: uuid.UUID | None, *, write: bool) -> PlanScope:
    """The branch `branch_id` of `project` (main when None). Another project's branch is unknown here (404);
    merged and closed branches are read-only (409 on write)."""
    query = select(Branch).where(Branch.project_id == project.id)
    query = query.where(Branch.kind == BranchKind.main.value) if branch_id is None else \
        query.where(Branch.id == branch_id)
    # A write holds the branch row until commit (PostgreSQL; SQLite writers are serial anyway), so a merge
    # of the branch, or into main, never interleaves with it: one waits for the other.
    branch = session.scalar(query.with_for_update() if write else query)
    if branch is None:
        if branch_id is None:  # every project is created with main; its absence is a broken database
            raise RuntimeError(f"project {project.id} has no main branch")
        raise NotFound(f"Branch {branch_id} not found in project '{project.slug}'")
    if write and branch.status in READ_ONLY_STATUSES:
        raise Conflict(f"Branch '{branch.name}' is {branch.status} and read-only; open a new branch to change "
                       "the plan")
    return PlanScope(project=project, branch_id=branch.id, is_main=branch.kind == BranchKind.main.value)


def get_row(session: Session, scope: PlanScope, model: type[R], row_id: uuid.UUID, label: str) -> R:
    """A row of the scope's branch by id; ids of other branches and projects are unknown here (404)."""
    row = session.get(model, row_id)
    if row is None or row.branch_id != scope.branch_id:
        raise NotFound(f"{label} {row_id} not found in project '{scope.project.slug}'")
    return row


def require_ids(session: Session, scope: PlanScope, model: type[R], ids: Iterable[uuid.UUID], label: str,
                *, where: str = "") -> None:
    """Ids inside a request body must name rows of the scope's branch; the others are listed (422)."""
    wanted = set(ids)
    if not wanted:
        return
    found = set(session.scalars(select(model.id).where(model.id.in_(wanted), model.branch_id == scope.branch_id)))
    missing = sorted(str(i) for i in wanted - found)
    if missing:
        raise InvalidInput(f"{label} not in project '{scope.project.slug}'{where}: {', '.join(missing)}")
