"""Working branches of a project's plan: review, conflicts with main, resolutions and merge."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Query, Response

from tripl_api.deps import CurrentPrincipal, DbSession, ProjectReader, ProjectWriter, State
from tripl_api.routes.photos import PhotoConfig
from tripl_api.routing import api_router
from tripl_core.branching import branches, comments, conflicts, diffs, merging, review
from tripl_core.branching.schemas import (
    BranchCreate,
    BranchDetailOut,
    BranchDiffOut,
    BranchOut,
    BranchTransition,
    CommentCreate,
    CommentOut,
    ConflictsOut,
    ResolutionCreate,
    ResolutionOut,
    ReviewerAdd,
    ReviewerOut,
)
from tripl_core.pagination import Page, PageRequest
from tripl_core.photos import files

router = api_router("plan-branches", "/projects/{slug}/branches")


@router.get("", response_model=Page[BranchOut])
def list_branches(project: ProjectReader, session: DbSession, offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[BranchOut]:
    """Main first, then working branches, newest first."""
    items, total = branches.list_branches(session, project, PageRequest(offset, limit))
    return Page[BranchOut](items=[branches.describe(b) for b in items], total=total)


@router.post("", response_model=BranchOut, status_code=201)
def create_branch(body: BranchCreate, project: ProjectWriter, principal: CurrentPrincipal,
                  session: DbSession) -> BranchOut:
    """Copy main's plan onto a new working branch and record its base revision."""
    return branches.describe(branches.create(session, principal, project, body))


@router.get("/{branch_id}", response_model=BranchDetailOut)
def get_branch(branch_id: uuid.UUID, project: ProjectReader, session: DbSession) -> BranchDetailOut:
    """The branch with its reviewers and approvals (`stale` once the branch changed after one)."""
    return branches.detail(session, branches.get(session, project, branch_id))


@router.delete("/{branch_id}", status_code=204, response_class=Response)
def delete_branch(branch_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal,
                  session: DbSession) -> Response:
    branches.delete(session, principal, project, branches.get(session, project, branch_id))
    return Response(status_code=204)


@router.post("/{branch_id}/transition", response_model=BranchDetailOut)
def transition_branch(branch_id: uuid.UUID, body: BranchTransition, project: ProjectWriter,
                      principal: CurrentPrincipal, session: DbSession) -> BranchDetailOut:
    """submit, request_changes, approve (reviewers or an owner; records the change set's hash), reopen, close."""
    branch = branches.get(session, project, branch_id, lock=True)
    change_hash = review.transition(session, principal, project, branch, body.action)
    return branches.detail(session, branch, current_hash=change_hash)


@router.post("/{branch_id}/reviewers", response_model=ReviewerOut, status_code=201)
def add_reviewer(branch_id: uuid.UUID, body: ReviewerAdd, project: ProjectWriter, principal: CurrentPrincipal,
                 session: DbSession) -> ReviewerOut:
    branch = branches.get(session, project, branch_id)
    return ReviewerOut.model_validate(review.add_reviewer(session, principal, project, branch, body.user_id))


@router.delete("/{branch_id}/reviewers/{user_id}", status_code=204, response_class=Response)
def remove_reviewer(branch_id: uuid.UUID, user_id: uuid.UUID, project: ProjectWriter,
                    principal: CurrentPrincipal, session: DbSession) -> Response:
    review.remove_reviewer(session, principal, project, branches.get(session, project, branch_id), user_id)
    return Response(status_code=204)


@router.get("/{branch_id}/comments", response_model=list[CommentOut])
def list_comments(branch_id: uuid.UUID, project: ProjectReader, session: DbSession) -> list[CommentOut]:
    """Oldest first; replies carry their `parent_id`."""
    branch = branches.get(session, project, branch_id)
    return [CommentOut.model_validate(c) for c in comments.list_comments(session, branch)]


@router.post("/{branch_id}/comments", response_model=CommentOut, status_code=201)
def create_comment(branch_id: uuid.UUID, body: CommentCreate, project: ProjectWriter,
                   principal: CurrentPrincipal, session: DbSession) -> CommentOut:
    """A comment, or a reply to a top-level comment (`parent_id`; one level of replies)."""
    branch = branches.get(session, project, branch_id)
    return CommentOut.model_validate(comments.create(session, principal, project, branch, body))


@router.delete("/{branch_id}/comments/{comment_id}", status_code=204, response_class=Response)
def delete_comment(branch_id: uuid.UUID, comment_id: uuid.UUID, project: ProjectWriter,
                   principal: CurrentPrincipal, session: DbSession) -> Response:
    comments.delete(session, principal, project, branches.get(session, project, branch_id), comment_id)
    return Response(status_code=204)


@router.get("/{branch_id}/diff", response_model=BranchDiffOut)
def diff_branch(branch_id: uuid.UUID, project: ProjectReader, session: DbSession) -> BranchDiffOut:
    """What the branch changed since its cut; `behind_base` when main moved since."""
    return diffs.branch_diff(session, branches.get(session, project, branch_id))


@router.get("/{branch_id}/conflicts", response_model=ConflictsOut)
def get_branch_conflicts(branch_id: uuid.UUID, project: ProjectReader, session: DbSession) -> ConflictsOut:
    """Conflicts with main as it is now (ours = main, theirs = the branch), with their resolutions."""
    return conflicts.current(session, branches.get(session, project, branch_id))


@router.post("/{branch_id}/resolutions", response_model=ResolutionOut, status_code=201)
def save_branch_resolution(branch_id: uuid.UUID, body: ResolutionCreate, project: ProjectWriter,
                           principal: CurrentPrincipal, session: DbSession) -> ResolutionOut:
    """Settle one conflict (entity and attribute) with ours, theirs or a custom value; replaces an earlier
    choice for it."""
    branch = branches.get(session, project, branch_id, lock=True)
    resolution = conflicts.save(session, principal, project, branch, body)
    return ResolutionOut(id=resolution.id, branch_id=resolution.branch_id, entity_type=resolution.entity_type,
                         entity_name=resolution.entity_name, entity_key=resolution.entity_key,
                         field_name=resolution.field_name, choice=resolution.choice, value=resolution.value,
                         resolved_by=resolution.resolved_by_id, created_at=resolution.created_at)


@router.delete("/{branch_id}/resolutions/{resolution_id}", status_code=204, response_class=Response)
def delete_branch_resolution(branch_id: uuid.UUID, resolution_id: uuid.UUID, project: ProjectWriter,
                             principal: CurrentPrincipal, session: DbSession) -> Response:
    branch = branches.get(session, project, branch_id, lock=True)
    conflicts.delete(session, principal, project, branch, resolution_id)
    return Response(status_code=204)


@router.post("/{branch_id}/merge", response_model=BranchDetailOut)
def merge_branch(branch_id: uuid.UUID, project: ProjectWriter, principal: CurrentPrincipal, session: DbSession,
                 state: State, config: PhotoConfig, background: BackgroundTasks,
                 force: Annotated[bool, Query(description="Owners only: merge without a fresh approval")] = False,
                 ) -> BranchDetailOut:
    """Apply the branch to main in one transaction and write a `merge` revision; the branch becomes merged
    and read-only. 409 while it is not approved (fresh) or a conflict is unresolved."""
    released: list[tuple[str, str]] = []
    branch = merging.merge(session, principal, project, branches.get(session, project, branch_id), force=force,
                           released=released)
    for backend, key in released:  # after the response, i.e. after the merge committed
        background.add_task(files.release, state.db, config, backend, key)
    return branches.detail(session, branch)
