"""Request and response shapes of events, their values, history and bulk operations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints, WithJsonSchema

from tripl_core.plan.models import EventStatus
from tripl_core.plan.type_schemas import Description
from tripl_core.schemas import RequestModel, ResponseModel

MAX_VALUE_LENGTH = 100_000
MAX_BULK_ITEMS = 10_000

EventName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Tag = Annotated[str, Field(max_length=1_000)]
Value = Annotated[str, Field(max_length=MAX_VALUE_LENGTH)]
BreakdownColumn = Annotated[str, Field(min_length=1, max_length=255)]
IdList = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BULK_ITEMS)]


class FieldValueIn(RequestModel):
    """A literal or a `${token}` template; `null` or `""` clears the value (scans may fill it again)."""

    field_id: uuid.UUID
    value: Value | None


class MetaValueIn(RequestModel):
    meta_field_id: uuid.UUID
    value: Value | None


class EventCreate(RequestModel):
    event_type_id: uuid.UUID
    name: EventName
    description: Description = ""
    status: EventStatus = EventStatus.draft
    sunset_at: AwareDatetime | None = None
    owner_id: uuid.UUID | None = None
    reviewed: bool = False
    metric_breakdown_columns: Annotated[list[BreakdownColumn], Field(max_length=50)] = []
    tags: Annotated[list[Tag], Field(max_length=1_000)] = []
    field_values: Annotated[list[FieldValueIn], Field(max_length=1_000)] = []
    meta_values: Annotated[list[MetaValueIn], Field(max_length=1_000)] = []


class EventUpdate(RequestModel):
    """Omitted attributes stay. `field_values`/`meta_values` change only the values listed."""

    name: EventName | None = None
    description: Description | None = None
    status: EventStatus | None = None
    sunset_at: AwareDatetime | None = None
    owner_id: uuid.UUID | None = None
    reviewed: bool | None = None
    metric_breakdown_columns: Annotated[list[BreakdownColumn], Field(max_length=50)] | None = None
    tags: Annotated[list[Tag], Field(max_length=1_000)] | None = None
    field_values: Annotated[list[FieldValueIn], Field(max_length=1_000)] | None = None
    meta_values: Annotated[list[MetaValueIn], Field(max_length=1_000)] | None = None


class BulkDelete(RequestModel):
    event_ids: IdList


class BulkUpdate(RequestModel):
    event_ids: IdList
    status: EventStatus | None = None
    sunset_at: AwareDatetime | None = None
    owner_id: uuid.UUID | None = None
    reviewed: bool | None = None


class TagAction(StrEnum):
    add = "add"
    remove = "remove"
    set = "set"


class BulkUpdateTags(RequestModel):
    ids: IdList
    action: TagAction
    tags: Annotated[list[Tag], Field(max_length=1_000)]


class Reorder(RequestModel):
    event_ids: IdList


class Direction(StrEnum):
    up = "up"
    down = "down"


class Move(RequestModel):
    direction: Direction
    visible_event_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_BULK_ITEMS)] | None = None


class EventTypeBrief(ResponseModel):
    id: uuid.UUID
    name: str
    display_name: str
    color: str


# Value rows come by the thousand per page; their ids are passed through as canonical text instead of
# being parsed into uuid.UUID objects and printed again (same JSON, documented as a uuid).
UuidText = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]


class FieldValueOut(ResponseModel):
    field_id: UuidText
    field_name: str
    value: str
    authored: bool


class MetaValueOut(ResponseModel):
    meta_field_id: UuidText
    meta_field_name: str
    value: str
    authored: bool


class EventOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    event_type_id: uuid.UUID
    event_type: EventTypeBrief
    name: str
    source_name: str | None
    description: str
    order: int
    status: str
    sunset_at: datetime | None
    last_seen_at: datetime | None
    owner_id: uuid.UUID | None
    reviewed: bool
    metric_breakdown_columns: list[str]
    drift_count: int
    tags: list[str]
    field_values: list[FieldValueOut]
    meta_values: list[MetaValueOut]
    warnings: list[str] = Field(default_factory=list,
                                description="Advisory: `${token}`s in values that name no variable.")
    created_at: datetime
    updated_at: datetime


class FieldChange(ResponseModel):
    field: str
    before: Any
    after: Any


class HistoryEntryOut(ResponseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    action: str
    changes: list[FieldChange]
    actor_id: uuid.UUID | None
    actor_name: str | None
    created_at: datetime


class EventFilters(RequestModel):
    event_type_id: uuid.UUID | None = None
    search: str | None = None
    status: list[EventStatus] | None = None
    tag: str | None = None
    silent_since_days: int | None = None
    field_value: str | None = None
    meta_value: str | None = None
