"""Projects and their plan branches. Every plan row belongs to a branch; each project has one `main`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONList, TimestampMixin, utcnow

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
    merged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                           default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- The plan's rows -------------------------------------------------------------------------------
# Every plan row carries `branch_id` (the branch it lives on) and `origin_id` (for a copy on a working
# branch: the id of the main row it was copied from; null on main and for rows created on the branch).
# Creating a branch copies main's rows; diff and merge pair rows by `origin_id`.


class BranchRowMixin:
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    origin_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class EventStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    ready_for_dev = "ready_for_dev"
    implemented = "implemented"
    live = "live"
    deprecated = "deprecated"
    archived = "archived"


class FieldType(StrEnum):
    string = "string"
    number = "number"
    boolean = "boolean"
    json = "json"
    enum = "enum"
    url = "url"


class MetaFieldType(StrEnum):
    string = "string"
    url = "url"
    boolean = "boolean"
    enum = "enum"
    date = "date"


class Sensitivity(StrEnum):
    none = "none"
    pii = "pii"
    phi = "phi"
    financial = "financial"
    secret = "secret"


class VariableType(StrEnum):
    string = "string"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    json = "json"
    string_array = "string_array"
    number_array = "number_array"


class RelationType(StrEnum):
    belongs_to = "belongs_to"
    has_many = "has_many"
    has_one = "has_one"
    references = "references"


class EventType(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "event_types"
    __table_args__ = (UniqueConstraint("branch_id", "name"),
                      Index("ix_event_types_branch_origin", "branch_id", "origin_id"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(7), default="#6366f1")
    order: Mapped[int] = mapped_column(Integer, default=0)


class EventTypeOwner(IdMixin, BranchRowMixin, Base):
    __tablename__ = "event_type_owners"
    __table_args__ = (UniqueConstraint("event_type_id", "user_id"),)

    event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"),
                                                     index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldDefinition(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "field_definitions"
    __table_args__ = (UniqueConstraint("event_type_id", "name"),
                      Index("ix_field_definitions_branch_origin", "branch_id", "origin_id"))

    event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"),
                                                     index=True)
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(255))
    field_type: Mapped[str] = mapped_column(String(16))
    is_required: Mapped[bool] = mapped_column(default=False)
    enum_options: Mapped[list[str] | None] = mapped_column(JSONList, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[int] = mapped_column(Integer, default=0)
    sensitivity: Mapped[str] = mapped_column(String(16), default=Sensitivity.none.value)
    contract_required_max_null_rate: Mapped[float | None] = mapped_column(Float, default=None)
    contract_regex: Mapped[str | None] = mapped_column(Text, default=None)
    contract_min_value: Mapped[float | None] = mapped_column(Float, default=None)
    contract_max_value: Mapped[float | None] = mapped_column(Float, default=None)
    contract_max_bad_rate: Mapped[float] = mapped_column(Float, default=0.0)


class MetaField(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "meta_fields"
    __table_args__ = (UniqueConstraint("branch_id", "name"),
                      Index("ix_meta_fields_branch_origin", "branch_id", "origin_id"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(255))
    field_type: Mapped[str] = mapped_column(String(16))
    is_required: Mapped[bool] = mapped_column(default=False)
    enum_options: Mapped[list[str] | None] = mapped_column(JSONList, default=None)
    default_value: Mapped[str | None] = mapped_column(Text, default=None)
    link_template: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(Integer, default=0)
    sensitivity: Mapped[str] = mapped_column(String(16), default=Sensitivity.none.value)


class Event(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("event_type_id", "name"),
                      Index("ix_events_branch_type_order", "branch_id", "event_type_id", "order"),
                      # branch copies re-point foreign keys at the copy of a row by (branch, origin)
                      Index("ix_events_branch_origin", "branch_id", "origin_id"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"),
                                                     index=True)
    name: Mapped[str] = mapped_column(String(500))
    source_name: Mapped[str | None] = mapped_column(String(500), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.draft.value)
    sunset_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                          default=None)
    reviewed: Mapped[bool] = mapped_column(default=False)
    metric_breakdown_columns: Mapped[list[str]] = mapped_column(JSONList, default=list)


class EventTag(BranchRowMixin, Base):
    """One normalised tag of an event (a set: no order, no duplicates)."""

    __tablename__ = "event_tags"
    __table_args__ = (Index("ix_event_tags_branch_tag", "branch_id", "tag"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class EventFieldValue(IdMixin, BranchRowMixin, Base):
    """An event's value for one field of its type: a literal or a `${token}` template.
    `authored` values were written by a person; scans only fill missing, non-authored values."""

    __tablename__ = "event_field_values"
    __table_args__ = (UniqueConstraint("event_id", "field_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("field_definitions.id", ondelete="CASCADE"),
                                                 index=True)
    value: Mapped[str] = mapped_column(Text)
    authored: Mapped[bool] = mapped_column(default=True)


class EventMetaValue(IdMixin, BranchRowMixin, Base):
    __tablename__ = "event_meta_values"
    __table_args__ = (UniqueConstraint("event_id", "meta_field_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    meta_field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meta_fields.id", ondelete="CASCADE"),
                                                      index=True)
    value: Mapped[str] = mapped_column(Text)
    authored: Mapped[bool] = mapped_column(default=True)


class EventHistoryEntry(IdMixin, BranchRowMixin, Base):
    """One change to an event: `changes` is `[{field, before, after}]`; the actor is a user or a scan."""

    __tablename__ = "event_history"
    __table_args__ = (Index("ix_event_history_event_created", "event_id", "created_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONList, default=list)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Variable(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "variables"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    source_name: Mapped[str | None] = mapped_column(String(500), default=None)
    variable_type: Mapped[str] = mapped_column(String(16), default=VariableType.string.value)
    description: Mapped[str] = mapped_column(Text, default="")


class Relation(IdMixin, TimestampMixin, BranchRowMixin, Base):
    __tablename__ = "relations"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    source_event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"),
                                                            index=True)
    target_event_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"),
                                                            index=True)
    source_field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("field_definitions.id", ondelete="CASCADE"),
                                                       index=True)
    target_field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("field_definitions.id", ondelete="CASCADE"),
                                                       index=True)
    relation_type: Mapped[str] = mapped_column(String(16), default=RelationType.belongs_to.value)
    description: Mapped[str] = mapped_column(Text, default="")
