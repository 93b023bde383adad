"""Comments on a branch's review, with one level of replies."""

from __future__ import annotations

import uuid

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import UserRole
from tripl_core.access.principal import Principal
from tripl_core.branching import branches, state
from tripl_core.branching.models import BranchComment
from tripl_core.branching.schemas import CommentCreate
from tripl_core.errors import InvalidInput, NotFound, PermissionDenied
from tripl_core.plan.models import Branch, Project


def list_comments(session: Session, branch: Branch) -> list[BranchComment]:
    return list(session.scalars(select(BranchComment).where(BranchComment.branch_id == branch.id)
                                .order_by(BranchComment.created_at, BranchComment.id)))


def create(session: Session, principal: Principal, project: Project, branch: Branch,
           data: CommentCreate) -> BranchComment:
    state.require_working(branch)
    if data.parent_id is not None:
        parent = session.get(BranchComment, data.parent_id)
        if parent is None or parent.branch_id != branch.id:
            raise InvalidInput(f"parent_id {data.parent_id} is not a comment on branch '{branch.name}'")
        if parent.parent_id is not None:
            raise InvalidInput("Replies go one level deep: reply to the top comment instead")
    comment = BranchComment(branch_id=branch.id, parent_id=data.parent_id, user_id=principal.user.id,
                            body=data.body)
    session.add(comment)
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.commented", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"comment_id": str(comment.id)},
                    summary=f"Commented on branch {branch.name}")
    return comment


def delete(session: Session, principal: Principal, project: Project, branch: Branch,
           comment_id: uuid.UUID) -> None:
    """The author or an owner deletes a comment; its replies go with it."""
    comment = session.get(BranchComment, comment_id)
    if comment is None or comment.branch_id != branch.id:
        raise NotFound(f"Comment {comment_id} not found on branch '{branch.name}'")
    if comment.user_id != principal.user.id and principal.role != UserRole.owner:
        raise PermissionDenied("Only the comment's author or an owner deletes it")
    session.execute(sql_delete(BranchComment).where(BranchComment.parent_id == comment.id))
    session.delete(comment)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.comment_deleted", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"comment_id": str(comment_id)},
                    summary=f"Deleted a comment on branch {branch.name}")
