"""Rows scans write about what they saw (SEMANTICS §2, §5, §6). All of them describe the main branch."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONDict, JSONList, utcnow


class DriftType(StrEnum):
    new_field = "new_field"
    missing_field = "missing_field"
    type_changed = "type_changed"
    required_null_violation = "required_null_violation"
    regex_violation = "regex_violation"
    range_violation = "range_violation"
    enum_violation = "enum_violation"


class DriftStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    snoozed = "snoozed"
    false_positive = "false_positive"


class SchemaDrift(IdMixin, Base):
    """One drift of an event type's schema. `source_names` lists the identities it was seen on (empty:
    the whole type); `details` keeps the measured counts and rates of contract violations."""

    __tablename__ = "schema_drifts"
    __table_args__ = (Index("ix_schema_drifts_type_field_kind", "event_type_id", "field_name", "drift_type"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    scan_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scan_configs.id", ondelete="SET NULL"), index=True)
    field_name: Mapped[str] = mapped_column(String(500))
    drift_type: Mapped[str] = mapped_column(String(32))
    observed_type: Mapped[str | None] = mapped_column(String(32))
    declared_type: Mapped[str | None] = mapped_column(String(32))
    sample_value: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    source_names: Mapped[list[str]] = mapped_column(JSONList, default=list)
    status: Mapped[str] = mapped_column(String(16), default=DriftStatus.open.value, index=True)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    snoozed_until: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cardinality(StrEnum):
    low = "low"
    high = "high"


class VariableContext(IdMixin, Base):
    """Where a scan saw a variable: on which event and field, from which column or JSON path, whether the
    source had few (low) or many (high) distinct values, how many rows held it, and its values (all of
    them when low, a capped sample when high)."""

    __tablename__ = "variable_contexts"
    __table_args__ = (UniqueConstraint("variable_id", "event_id", "field_name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    variable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variables.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    scan_config_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scan_configs.id", ondelete="SET NULL"),
                                                            index=True)
    field_name: Mapped[str] = mapped_column(String(500))
    source_column: Mapped[str] = mapped_column(String(500))
    cardinality: Mapped[str] = mapped_column(String(8))
    observed_count: Mapped[int] = mapped_column(BigInteger, default=0)
    values: Mapped[list[str]] = mapped_column(JSONList, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShadowStatus(StrEnum):
    new = "new"
    accepted = "accepted"
    dismissed = "dismissed"


class ShadowCandidate(IdMixin, Base):
    """An identity a scan saw in the warehouse that the plan does not hold, in an event type that
    already has a plan (empty and new types are filled by the scan instead)."""

    __tablename__ = "shadow_candidates"
    __table_args__ = (UniqueConstraint("project_id", "event_type_name", "identity"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    scan_config_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scan_configs.id", ondelete="SET NULL"),
                                                            index=True)
    event_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("event_types.id", ondelete="SET NULL"),
                                                           index=True)
    event_type_name: Mapped[str] = mapped_column(String(100))
    identity: Mapped[str] = mapped_column(String(500))
    volume: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    sample_rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONList, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ShadowStatus.new.value)
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ObservedVolume(IdMixin, Base):
    """Rows per UTC day of one identity as a scan read them; `event_id` is the plan event the identity
    matched when it was read (null: not in the plan). Coverage is computed from these."""

    __tablename__ = "observed_volumes"
    __table_args__ = (UniqueConstraint("scan_config_id", "event_type_name", "identity", "day"),
                      Index("ix_observed_volumes_project_day", "project_id", "day"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    event_type_name: Mapped[str] = mapped_column(String(100))
    identity: Mapped[str] = mapped_column(String(500))
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    day: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
