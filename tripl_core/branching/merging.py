"""Merging a working branch into main: in the request's one transaction, or not at all.

Refused (409) unless the branch is approved with a fresh approval (an owner may force past review) and every
conflict with main as it is now has a fresh resolution. The branch row and main's row are locked first, so
a concurrent write to main or to the branch either lands before (and is then part of what is merged
against) or waits and finds the branch merged.

Photo files the merge stopped referencing on main are appended to `released` (when given) for the caller to
release after the transaction commits (tripl_core.photos.files.release keeps any a row still names); a
caller that passes none leaves them to the orphan sweep."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import UserRole
from tripl_core.access.principal import Principal
from tripl_core.branching import apply, branches, review, revisions, snapshot, state
from tripl_core.branching.models import RevisionKind
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, PermissionDenied
from tripl_core.plan.models import Branch, BranchKind, BranchStatus, Project


def merge(session: Session, principal: Principal, project: Project, branch: Branch, *, force: bool,
          released: list[apply.StoredFile] | None = None) -> Branch:
    state.require_working(branch)
    main = session.scalar(select(Branch).where(Branch.project_id == project.id,
                                               Branch.kind == BranchKind.main.value).with_for_update())
    assert main is not None
    session.refresh(branch, with_for_update=True)
    if branch.status in (BranchStatus.merged, BranchStatus.closed):
        raise Conflict(f"Branch '{branch.name}' is {branch.status}; there is nothing to merge")
    if force and principal.role != UserRole.owner:
        raise PermissionDenied("Only an owner forces a merge past review")
    loaded = state.load(session, branch)
    if not force:
        if branch.status != BranchStatus.approved:
            raise Conflict(f"Branch '{branch.name}' is {branch.status}; it merges once approved "
                           "(or an owner forces it)")
        if not review.fresh_approval(session, branch, loaded.change_hash):
            raise Conflict(f"Branch '{branch.name}' changed after its approval; it needs a fresh approval "
                           "(or an owner forces it)")
    result, _ = state.merge_result(session, loaded)
    unresolved = result.unresolved
    if unresolved:
        raise Conflict(f"Branch '{branch.name}' has {len(unresolved)} unresolved conflict(s) with main; resolve "
                       "them (Get Branch Conflicts) before merging",
                       details=[{"entity_type": c.entity_type, "entity_key": c.key, "field": c.attribute,
                                 "kind": c.kind} for c in unresolved[:50]])
    writer = apply.MainWriter(session, project.id, main.id, loaded.ours, principal)
    changes = writer.apply(result.merged)
    if released is not None:
        released.extend(writer.released_files)
    revision = revisions.write(session, principal, project, RevisionKind.merge, f"Merge of branch {branch.name}",
                               snapshot.read(session, main.id))
    branch.status = BranchStatus.merged.value
    branch.merged_at = utcnow()
    branch.merged_by_id = principal.user.id
    branches.touch(branch)
    session.flush()
    activity.record(session, project, actor=principal, kind="branch.merged", entity_type="branch",
                    entity_id=branch.id, entity_name=branch.name,
                    details={"revision_id": str(revision.id), "forced": force, **apply.grouped(changes)},
                    summary=f"Merged branch {branch.name} into main ({len(changes)} change(s)"
                            f"{', forced past review' if force else ''})")
    return branch
