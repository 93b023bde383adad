"""Projects and their plan branches. Every plan row belongs to a branch; each project has one `main`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, TimestampMixin, utcnow

MAIN_BRANCH = "main"


class BranchKind(StrEnum):
    main = "main"
    working = "working"


class BranchStatus(StrEnum):
    draft = "draft"
    ready_for_review = "ready_for_review"
    changes_requested = "changes_requested"
    approved = "approved"
    merged = "merged"
    closed = "closed"


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Branch(IdMixin, TimestampMixin, Base):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=BranchKind.working.value)
    status: Mapped[str] = mapped_column(String(32), default=BranchStatus.draft.value)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    base_revision_id: Mapped[uuid.UUID | None]
    merged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
