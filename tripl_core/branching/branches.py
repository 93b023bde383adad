"""Working branches: created by copying main's plan (with a base revision), listed, described, deleted."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import UserRole
from tripl_core.access.principal import Principal
from tripl_core.branching import copy, revisions, state
from tripl_core.branching.models import BranchApproval, BranchReviewer, RevisionKind
from tripl_core.branching.schemas import ApprovalOut, BranchCreate, BranchDetailOut, BranchOut, ReviewerOut
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, NotFound, PermissionDenied
from tripl_core.pagination import PageRequest, paginate
from tripl_core.plan.models import MAIN_BRANCH, Branch, BranchKind, BranchStatus, Project
from tripl_core.plan.projects import main_branch_id


def list_branches(session: Session, project: Project, page: PageRequest) -> tuple[list[Branch], int]:
    query = select(Branch).where(Branch.project_id == project.id) \
        .order_by(Branch.kind != BranchKind.main.value, Branch.created_at.desc(), Branch.name)
    return paginate(session, query, page)


def get(session: Session, project: Project, branch_id: uuid.UUID, *, lock: bool = False) -> Branch:
    """`lock`: hold the branch row until commit (PostgreSQL), so writes to it and its merge queue up."""
    query = select(Branch).where(Branch.id == branch_id, Branch.project_id == project.id)
    branch = session.scalar(query.with_for_update() if lock else query)
    if branch is None:
        raise NotFound(f"Branch {branch_id} not found in project '{project.slug}'")
    return branch


def find(session: Session, project: Project, ref: str) -> Branch:
    """A branch by id or by name (for the command line)."""
    try:
        return get(session, project, uuid.UUID(ref))
    except ValueError:
        pass
    branch = session.scalar(select(Branch).where(Branch.project_id == project.id, Branch.name == ref))
    if branch is None:
        raise NotFound(f"Branch '{ref}' not found in project '{project.slug}'")
    return branch


def create(session: Session, principal: Principal, project: Project, data: BranchCreate) -> Branch:
    """Copy main's plan onto a new branch in a few set-based statements and record the base revision."""
    if data.name.lower() == MAIN_BRANCH:
        raise Conflict("'main' is reserved for the project's main branch")
    holder = session.scalar(select(Branch.id).where(Branch.project_id == project.id, Branch.name == data.name))
    if holder is not None:
        raise Conflict(f"A branch named '{data.name}' already exists (id {holder})")
    main_id = main_branch_id(session, project.id)
    base = revisions.write(session, principal, project, RevisionKind.branch_base,
                           f"Base of branch {data.name}")
    branch = Branch(project_id=project.id, name=data.name, description=data.description,
                    kind=BranchKind.working.value, status=BranchStatus.draft.value,
                    created_by_id=principal.user.id, base_revision_id=base.id)
    session.add(branch)
    session.flush()
    copied = copy.copy_plan(session, main_id, branch.id)
    activity.record(session, project, actor=principal, kind="branch.created", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, details={"copied": copied},
                    summary=f"Opened branch {branch.name} from main")
    return branch


def delete(session: Session, principal: Principal, project: Project, branch: Branch) -> None:
    state.require_working(branch)
    if branch.created_by_id != principal.user.id and principal.role != UserRole.owner:
        raise PermissionDenied("Only the branch's author or an owner deletes a branch")
    activity.record(session, project, actor=principal, kind="branch.deleted", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name, summary=f"Deleted branch {branch.name}")
    session.delete(branch)
    session.flush()


def touch(branch: Branch) -> None:
    branch.last_activity_at = utcnow()
    branch.updated_at = utcnow()


def describe(branch: Branch) -> BranchOut:
    return BranchOut(id=branch.id, project_id=branch.project_id, name=branch.name, kind=branch.kind,
                     status=branch.status, description=branch.description,
                     base_revision_id=branch.base_revision_id, created_by=branch.created_by_id,
                     merged_at=branch.merged_at, merged_by=branch.merged_by_id, created_at=branch.created_at,
                     updated_at=branch.updated_at)


def detail(session: Session, branch: Branch, *, current_hash: str | None = None) -> BranchDetailOut:
    """The branch with reviewers and approvals; an approval is stale when the branch's change set now
    hashes differently (computed here unless the caller already knows it)."""
    reviewers = session.scalars(select(BranchReviewer).where(BranchReviewer.branch_id == branch.id)
                                .order_by(BranchReviewer.created_at, BranchReviewer.id))
    approvals = list(session.scalars(select(BranchApproval).where(BranchApproval.branch_id == branch.id)
                                     .order_by(BranchApproval.created_at, BranchApproval.id)))
    if approvals and current_hash is None and branch.kind == BranchKind.working.value:
        current_hash = state.load(session, branch, with_main=False).change_hash
    return BranchDetailOut(
        **describe(branch).model_dump(),
        reviewers=[ReviewerOut.model_validate(r) for r in reviewers],
        approvals=[ApprovalOut(id=a.id, user_id=a.user_id, change_hash=a.change_hash, created_at=a.created_at,
                               stale=a.change_hash != current_hash) for a in approvals])
