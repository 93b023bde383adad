"""The three plans a working branch is judged by: its base revision, main now and the branch now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.analysis import merge
from tripl_core.branching import snapshot
from tripl_core.branching.models import MergeResolution, PlanRevision
from tripl_core.errors import Conflict
from tripl_core.plan.models import Branch, BranchKind
from tripl_core.plan.projects import main_branch_id


@dataclass
class BranchState:
    branch: Branch
    base_hash: str
    base: merge.Snapshot
    ours: merge.MutableSnapshot
    theirs: merge.MutableSnapshot

    @cached_property
    def changes(self) -> list[merge.Change]:
        """What the branch changed since its cut."""
        return merge.diff(self.base, self.theirs)

    @cached_property
    def change_hash(self) -> str:
        return merge.change_hash(self.changes)

    @property
    def behind_base(self) -> bool:
        """Main moved since the branch was cut."""
        return merge.snapshot_hash(self.ours) != self.base_hash


def require_working(branch: Branch) -> None:
    if branch.kind == BranchKind.main.value:
        raise Conflict("The main branch has no review, diff or merge; open a working branch")


def load(session: Session, branch: Branch, *, with_main: bool = True) -> BranchState:
    require_working(branch)
    revision = session.get(PlanRevision, branch.base_revision_id) if branch.base_revision_id else None
    if revision is None:
        raise Conflict(f"Branch '{branch.name}' has no base revision; it cannot be compared with main")
    ours = snapshot.read(session, main_branch_id(session, branch.project_id)) if with_main else {}
    return BranchState(branch=branch, base_hash=revision.plan_hash, base=revision.payload, ours=ours,
                       theirs=snapshot.read(session, branch.id))


def resolutions(session: Session, branch_id: uuid.UUID) -> list[MergeResolution]:
    return list(session.scalars(select(MergeResolution).where(MergeResolution.branch_id == branch_id)
                                .order_by(MergeResolution.created_at, MergeResolution.id)))


def merge_result(session: Session, state: BranchState) -> tuple[merge.MergeResult, list[MergeResolution]]:
    saved = resolutions(session, state.branch.id)
    chosen = {(r.entity_type, r.entity_key, r.field_name):
              merge.Resolution(choice=r.choice, ours=r.ours_value, theirs=r.theirs_value, value=r.value)
              for r in saved}
    return merge.three_way(state.base, state.ours, state.theirs, chosen), saved
