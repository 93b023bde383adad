"""Data sources: read-only warehouse connections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONDict, TimestampMixin

DEFAULT_PORT = 8123
DEFAULT_TIMEOUT_SECONDS = 30


class DataSource(IdMixin, TimestampMixin, Base):
    """One warehouse connection. `password_encrypted` and `secret_params_encrypted` hold Fernet
    ciphertext (SecretBox); plain `extra_params` never holds a secret (see schemas.SECRET_PARAMS)."""

    __tablename__ = "data_sources"

    name: Mapped[str] = mapped_column(String(255), unique=True)
    db_type: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(500), default="")
    port: Mapped[int] = mapped_column(Integer, default=DEFAULT_PORT)
    database_name: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str] = mapped_column(String(255), default="")
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_TIMEOUT_SECONDS)
    extra_params: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    secret_params_encrypted: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(1000), default="")  # chdb: the folder of Parquet files
    last_test_at: Mapped[datetime | None]
    last_test_status: Mapped[str | None] = mapped_column(String(16))
    last_test_message: Mapped[str | None] = mapped_column(Text)
