"""The plan branch a request works on: `?branch=<id>` (a branch of the `{slug}` project), main without it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from tripl_api.deps import DbSession, ProjectReader, ProjectWriter
from tripl_core.plan import branch_scope
from tripl_core.plan.branch_scope import PlanScope

BranchParam = Annotated[uuid.UUID | None, Query(description="Plan branch id; without it, the main branch.")]


def read_scope(project: ProjectReader, session: DbSession, branch: BranchParam = None) -> PlanScope:
    return branch_scope.resolve(session, project, branch, write=False)


def write_scope(project: ProjectWriter, session: DbSession, branch: BranchParam = None) -> PlanScope:
    return branch_scope.resolve(session, project, branch, write=True)


PlanReader = Annotated[PlanScope, Depends(read_scope)]
PlanWriter = Annotated[PlanScope, Depends(write_scope)]
