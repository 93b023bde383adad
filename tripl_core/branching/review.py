"""Review of a working branch: reviewers (project users), the status transitions of SEMANTICS §8, and
approvals, each of the branch's change set as it was (its hash)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import User, UserRole
from tripl_core.access.principal import Principal
from tripl_core.branching import branches, state
from tripl_core.branching.models import BranchApproval, BranchReviewer
from tripl_core.branching.schemas import TransitionAction
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tripl_core.plan.models import Branch, BranchStatus, Project

S = BranchStatus
# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[TransitionAction, tuple[frozenset[str], BranchStatus]] = {
    TransitionAction.submit: (frozenset({S.draft, S.changes_requested}), S.ready_for_review),
    TransitionAction.request_changes: (frozenset({S.ready_for_review, S.approved}), S.changes_requested),
    TransitionAction.approve: (frozenset({S.ready_for_review, S.changes_requested, S.approved}), S.approved),
    TransitionAction.reopen: (frozenset({S.ready_for_review, S.changes_requested, S.approved, S.closed}),
                              S.draft),
    TransitionAction.close: (frozenset({S.draft, S.ready_for_review, S.changes_requested, S.approved}),
                             S.closed),
}
REVIEW_ACTIONS = frozenset({TransitionAction.approve, TransitionAction.request_changes})


def transition(session: Session, principal: Principal, project: Project, branch: Branch,
               action: TransitionAction) -> str | None:
    """Apply `action`; returns the change hash an approval recorded (None for other actions)."""
    state.require_working(branch)
    allowed_from, target = TRANSITIONS[action]
    if branch.status not in allowed_from:
        raise Conflict(f"Branch '{branch.name}' is {branch.status}; '{action.value}' applies to "
                       f"{', '.join(sorted(allowed_from))}")
    if action in REVIEW_ACTIONS:
        _require_reviewer(session, principal, branch)
    change_hash = None
    if action == TransitionAction.approve:
        change_hash = state.load(session, branch, with_main=False).change_hash
        session.add(BranchApproval(branch_id=branch.id, user_id=principal.user.id, change_hash=change_hash))
    elif action in (TransitionAction.reopen, TransitionAction.request_changes):
        # approvals are of a review round; a new round starts without them
        for approval in session.scalars(select(BranchApproval).where(BranchApproval.branch_id == branch.id)):
            session.delete(approval)
    before = branch.status
    branch.status = target.value
    branch.closed_at = utcnow() if target == S.closed else None
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind=f"branch.{action.value}", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"from": before, "to": target.value},
                    summary=f"{_verb(action)} branch {branch.name} ({before} → {target.value})")
    return change_hash


def _verb(action: TransitionAction) -> str:
    return {"submit": "Submitted", "request_changes": "Requested changes on", "approve": "Approved",
            "reopen": "Reopened", "close": "Closed"}[action.value]


def _require_reviewer(session: Session, principal: Principal, branch: Branch) -> None:
    """Reviewers of the branch approve or request changes; an owner may always."""
    if principal.role == UserRole.owner:
        return
    listed = session.scalar(select(BranchReviewer.id).where(BranchReviewer.branch_id == branch.id,
                                                            BranchReviewer.user_id == principal.user.id))
    if listed is None:
        raise PermissionDenied(f"Only reviewers of branch '{branch.name}' (or an owner) approve or request "
                               "changes; ask for a review")


def add_reviewer(session: Session, principal: Principal, project: Project, branch: Branch,
                 user_id: uuid.UUID) -> BranchReviewer:
    state.require_working(branch)
    _require_open(branch)
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput(f"User {user_id} does not exist")
    if UserRole(user.role).rank < UserRole.editor.rank:
        raise InvalidInput(f"User {user.email} is a viewer; reviewers need the editor or owner role")
    taken = session.scalar(select(BranchReviewer.id).where(BranchReviewer.branch_id == branch.id,
                                                           BranchReviewer.user_id == user_id))
    if taken is not None:
        raise Conflict(f"{user.email} already reviews branch '{branch.name}'")
    reviewer = BranchReviewer(branch_id=branch.id, user_id=user_id)
    session.add(reviewer)
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.reviewer_added", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"user_id": str(user_id)},
                    summary=f"Asked {user.name or user.email} to review branch {branch.name}")
    return reviewer


def remove_reviewer(session: Session, principal: Principal, project: Project, branch: Branch,
                    user_id: uuid.UUID) -> None:
    state.require_working(branch)
    _require_open(branch)
    reviewer = session.scalar(select(BranchReviewer).where(BranchReviewer.branch_id == branch.id,
                                                           BranchReviewer.user_id == user_id))
    if reviewer is None:
        raise NotFound(f"User {user_id} is not a reviewer of branch '{branch.name}'")
    session.delete(reviewer)
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.reviewer_removed", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"user_id": str(user_id)},
                    summary=f"Removed a reviewer from branch {branch.name}")


def _require_open(branch: Branch) -> None:
    if branch.status in (S.merged, S.closed):
        raise Conflict(f"Branch '{branch.name}' is {branch.status} and read-only")


def fresh_approval(session: Session, branch: Branch, change_hash: str) -> bool:
    return session.scalar(select(BranchApproval.id).where(BranchApproval.branch_id == branch.id,
                                                          BranchApproval.change_hash == change_hash)
                          .limit(1)) is not None
