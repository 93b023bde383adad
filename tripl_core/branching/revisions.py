"""Revisions: immutable snapshots of main's whole plan, written by hand, at a branch's cut and at a merge."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.analysis import merge
from tripl_core.branching import diffs, snapshot
from tripl_core.branching.models import PlanRevision, RevisionKind
from tripl_core.branching.schemas import RevisionBrief, RevisionDiffOut, RevisionOut
from tripl_core.errors import NotFound
from tripl_core.pagination import PageRequest, paginate
from tripl_core.plan.models import Branch, Project
from tripl_core.plan.projects import main_branch_id


def write(session: Session, principal: Principal | None, project: Project, kind: RevisionKind, summary: str,
          plan: merge.MutableSnapshot | None = None) -> PlanRevision:
    """Snapshot main (or take the snapshot already read) as a new revision."""
    plan = plan if plan is not None else snapshot.read(session, main_branch_id(session, project.id))
    revision = PlanRevision(project_id=project.id, kind=kind.value, summary=summary,
                            created_by_id=principal.user.id if principal else None,
                            entity_counts=snapshot.entity_counts(plan), plan_hash=merge.snapshot_hash(plan),
                            payload=plan)
    session.add(revision)
    session.flush()
    return revision


def create(session: Session, principal: Principal, project: Project, summary: str) -> PlanRevision:
    revision = write(session, principal, project, RevisionKind.manual, summary)
    activity.record(session, project, actor=principal, kind="revision.created", entity_type="revision",
                    entity_id=revision.id, entity_name=summary or None,
                    summary=f"Saved a revision of the plan{': ' + summary if summary else ''}")
    return revision


def list_revisions(session: Session, project: Project, page: PageRequest) -> tuple[list[PlanRevision], int]:
    query = select(PlanRevision).options(defer(PlanRevision.payload)).where(PlanRevision.project_id == project.id) \
        .order_by(PlanRevision.created_at.desc(), PlanRevision.id)
    return paginate(session, query, page)


def get(session: Session, project: Project, revision_id: uuid.UUID) -> PlanRevision:
    revision = session.get(PlanRevision, revision_id)
    if revision is None or revision.project_id != project.id:
        raise NotFound(f"Revision {revision_id} not found in project '{project.slug}'")
    return revision


def payload(revision: PlanRevision) -> merge.Snapshot:
    plan: dict[str, Any] = revision.payload
    return plan


def diff(session: Session, project: Project, revision_id: uuid.UUID, compare_to: uuid.UUID) -> RevisionDiffOut:
    """From `revision_id` to `compare_to`: another revision, or a branch of the project as it is now (main's
    id compares with main)."""
    before = payload(get(session, project, revision_id))
    other = session.get(PlanRevision, compare_to)
    if other is not None and other.project_id == project.id:
        after: merge.Snapshot = payload(other)
    else:
        branch = session.get(Branch, compare_to)
        if branch is None or branch.project_id != project.id:
            raise NotFound(f"compare_to {compare_to} is neither a revision nor a branch of project "
                           f"'{project.slug}'")
        after = snapshot.read(session, branch.id)
    changes = merge.diff(before, after)
    return RevisionDiffOut(revision_id=revision_id, compare_to=compare_to,
                           entries=diffs.entries(changes, diffs.Namer(after, before)), summary=diffs.summary(changes))


def brief(revision: PlanRevision) -> RevisionBrief:
    return RevisionBrief(id=revision.id, project_id=revision.project_id, kind=revision.kind,
                         summary=revision.summary, created_at=revision.created_at,
                         created_by=revision.created_by_id, entity_counts=dict(revision.entity_counts))


def describe(revision: PlanRevision) -> RevisionOut:
    return RevisionOut(**brief(revision).model_dump(), payload=dict(revision.payload))
