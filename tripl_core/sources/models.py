"""Data sources (read-only warehouse connections) and jobs (every asynchronous run: previews, scans,
replays, group applications)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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


class JobKind(StrEnum):
    preview = "preview"
    scan = "scan"
    replay = "replay"
    apply_groups = "apply_groups"
    metrics = "metrics"  # a scheduled metrics collection (or its retry)


class JobResolution(StrEnum):
    """Why a failed job no longer needs attention."""

    retried = "retried"  # a retry over the same window succeeded
    dismissed = "dismissed"  # someone decided it needs no retry


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    cancelling = "cancelling"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class Job(IdMixin, TimestampMixin, Base):
    """Every run of SEMANTICS §2 "Jobs". `params` is what the run was asked to do (a preview's query and
    limit, a replay's time range); `result_summary` is what it found. A deleted scan config leaves its
    jobs with `scan_config_id` null. `external_run_id` is the Dagster run id for runs launched through Dagster.
    `time_from`/`time_to`: the window a metrics collection or replay covered. A retry points at the job it
    retries (`retry_of_id`); a failed job stays open until `resolution` says it was retried or dismissed."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_project_id_kind_created_at", "project_id", "kind", "created_at"),
                      Index("ix_jobs_created_at", "created_at"))

    kind: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    data_source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_sources.id", ondelete="SET NULL"), index=True)
    scan_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scan_configs.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.pending.value, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    result_summary: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    external_run_id: Mapped[str | None] = mapped_column(String(255), index=True)
    time_from: Mapped[datetime | None] = mapped_column(default=None)
    time_to: Mapped[datetime | None] = mapped_column(default=None)
    retry_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True,
                                                          default=None)
    resolution: Mapped[str | None] = mapped_column(String(16), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                             default=None)
