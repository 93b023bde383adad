"""Jobs: every asynchronous run (previews, scans, replays, group applications, metrics collections),
with a typed status whose transitions live in `tripl_core.jobs.lifecycle`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONDict, TimestampMixin


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


class JobStatusType(TypeDecorator[JobStatus]):
    """The status column: a string of the database (no enum type, so adding a status needs no migration),
    a `JobStatus` in Python; an unknown value is refused on the way in."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: JobStatus | str | None, dialect: Dialect) -> str | None:
        return None if value is None else JobStatus(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> JobStatus | None:
        return None if value is None else JobStatus(value)


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
    status: Mapped[JobStatus] = mapped_column(JobStatusType(), default=JobStatus.pending, index=True)
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

    def __init__(self, **fields: Any) -> None:
        # Pending from the start, not only once flushed: the lifecycle may move a new job before its INSERT.
        fields.setdefault("status", JobStatus.pending)
        super().__init__(**fields)
