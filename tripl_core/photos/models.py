"""Photo rows and their comments. Both are branch rows: a branch copy of a photo points at the same
stored file (`storage_key`), and a file is removed only when no row on any branch references it."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, TimestampMixin
from tripl_core.plan.models import BranchRowMixin


class PhotoKind(StrEnum):
    photo = "photo"
    figma = "figma"


class EventPhoto(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "event_photos"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=PhotoKind.photo.value)
    original_filename: Mapped[str] = mapped_column(String(500), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    storage_backend: Mapped[str | None] = mapped_column(String(16), default=None)
    storage_key: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    external_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                                  default=None)


class PhotoComment(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "event_photo_comments"

    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_photos.id", ondelete="CASCADE"), index=True)
    # One level of replies: a reply's parent is a top-level comment of the same photo.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("event_photo_comments.id", ondelete="CASCADE"),
                                                        default=None, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    body: Mapped[str] = mapped_column(Text)
