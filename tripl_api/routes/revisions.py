"""Revisions: snapshots of the whole plan (by hand, at a branch's cut, at a merge) and their diffs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from tripl_api.deps import CurrentPrincipal, DbSession, ProjectReader, ProjectWriter
from tripl_api.routing import api_router
from tripl_core.branching import revisions
from tripl_core.branching.schemas import RevisionBrief, RevisionCreate, RevisionDiffOut, RevisionOut
from tripl_core.pagination import Page, PageRequest

router = api_router("plan-revisions", "/projects/{slug}/revisions")


@router.post("", response_model=RevisionOut, status_code=201)
def create_revision(body: RevisionCreate, project: ProjectWriter, principal: CurrentPrincipal,
                    session: DbSession) -> RevisionOut:
    """Snapshot main's plan as it is now."""
    return revisions.describe(revisions.create(session, principal, project, body.summary))


@router.get("", response_model=Page[RevisionBrief])
def list_revisions(project: ProjectReader, session: DbSession, offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[RevisionBrief]:
    """Newest first, without payloads (Get Revision has it)."""
    items, total = revisions.list_revisions(session, project, PageRequest(offset, limit))
    return Page[RevisionBrief](items=[revisions.brief(r) for r in items], total=total)


@router.get("/{revision_id}", response_model=RevisionOut)
def get_revision(revision_id: uuid.UUID, project: ProjectReader, session: DbSession) -> RevisionOut:
    return revisions.describe(revisions.get(session, project, revision_id))


@router.get("/{revision_id}/diff", response_model=RevisionDiffOut)
def diff_revision(revision_id: uuid.UUID, project: ProjectReader, session: DbSession,
                  compare_to: Annotated[uuid.UUID, Query(description="Another revision, or a branch id (its "
                                                                     "plan now; main's id for main)")],
                  ) -> RevisionDiffOut:
    """From this revision to `compare_to`, in the entry shape of a branch diff."""
    return revisions.diff(session, project, revision_id, compare_to)
