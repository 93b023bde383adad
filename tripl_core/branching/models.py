"""Review of a working branch (reviewers, approvals, comments), merge resolutions and plan revisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONDict, TimestampMixin, utcnow


class RevisionKind(StrEnum):
    manual = "manual"
    branch_base = "branch_base"
    merge = "merge"


class ResolutionChoice(StrEnum):
    ours = "ours"
    theirs = "theirs"
    custom = "custom"


class PlanRevision(IdMixin, Base):
    """An immutable snapshot of main's plan. `payload` is the snapshot keyed by entity identity (see
    branching/snapshot.py), stored as one JSON document: compact, and read back in one go for a merge base."""

    __tablename__ = "plan_revisions"
    __table_args__ = (Index("ix_plan_revisions_project_created", "project_id", "created_at"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=RevisionKind.manual.value)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    entity_counts: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    plan_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class BranchReviewer(IdMixin, Base):
    __tablename__ = "branch_reviewers"
    __table_args__ = (UniqueConstraint("branch_id", "user_id"),)

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BranchApproval(IdMixin, Base):
    """An approval is of one change set: `change_hash` is the hash of the branch's diff when approved;
    the approval is stale as soon as the branch's diff hashes differently."""

    __tablename__ = "branch_approvals"

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BranchComment(IdMixin, TimestampMixin, Base):
    __tablename__ = "branch_comments"
    __table_args__ = (Index("ix_branch_comments_branch_created", "branch_id", "created_at"),)

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branch_comments.id", ondelete="CASCADE"),
                                                        default=None)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)


class MergeResolution(IdMixin, Base):
    """A choice for one conflicting (entity, attribute). `ours_value`/`theirs_value` are the two sides when
    it was chosen: when either side later changes that attribute again, the resolution is stale."""

    __tablename__ = "merge_resolutions"
    __table_args__ = (UniqueConstraint("branch_id", "entity_type", "entity_key", "field_name"),)

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    entity_name: Mapped[str] = mapped_column(String(1000))
    field_name: Mapped[str] = mapped_column(String(200))
    choice: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JSON, default=None)
    ours_value: Mapped[Any] = mapped_column(JSON, default=None)
    theirs_value: Mapped[Any] = mapped_column(JSON, default=None)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
