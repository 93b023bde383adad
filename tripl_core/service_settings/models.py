"""Service settings saved through the API: one row per overridden field (`section.field`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, utcnow


class SettingOverride(Base):
    __tablename__ = "service_setting_overrides"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Plain values as JSON; secrets only as `secret_encrypted` (Fernet), never in `value`.
    value: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                            default=None)
