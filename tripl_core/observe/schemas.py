"""Request and response shapes of drifts, variable values and reconciliation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from tripl_core.plan.models import EventStatus
from tripl_core.schemas import RequestModel, ResponseModel


class DriftOut(ResponseModel):
    id: uuid.UUID
    event_type_id: uuid.UUID
    scan_config_id: uuid.UUID | None
    field_name: str
    drift_type: str
    observed_type: str | None
    declared_type: str | None
    sample_value: str | None
    status: str
    resolution_note: str | None
    snoozed_until: datetime | None
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    detected_at: datetime
    last_seen_at: datetime
    details: dict[str, Any] = {}


class DriftList(ResponseModel):
    items: list[DriftOut]
    total: int


class DriftAction(RequestModel):
    action: Literal["accept", "snooze", "false_positive", "reopen"]
    note: Annotated[str, Field(max_length=10_000)] | None = None
    snoozed_until: datetime | None = None


class VariableValueOut(ResponseModel):
    """One observed context of a variable."""

    id: uuid.UUID
    variable_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    event_type_id: uuid.UUID
    event_type_name: str
    field_name: str
    source_column: str
    cardinality: str
    observed_count: int
    values: list[str]
    scan_config_id: uuid.UUID | None
    updated_at: datetime


class ShadowEventOut(ResponseModel):
    id: uuid.UUID
    event_type_id: uuid.UUID | None
    event_type_name: str
    identity: str
    volume: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    sample_rows: list[dict[str, Any]]
    status: str
    event_id: uuid.UUID | None
    scan_config_id: uuid.UUID | None


class ShadowEventList(ResponseModel):
    items: list[ShadowEventOut]
    total: int
    new_count: int


class ShadowAccept(RequestModel):
    event_type_id: uuid.UUID | None = None
    name: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class ShadowAcceptOut(ResponseModel):
    candidate_id: uuid.UUID
    event_id: uuid.UUID
    status: str


class ShadowDismissOut(ResponseModel):
    candidate_id: uuid.UUID
    status: str


class DeadEventOut(ResponseModel):
    id: uuid.UUID
    name: str
    event_type_id: uuid.UUID
    event_type_name: str
    status: str
    last_seen_at: datetime | None
    created_at: datetime
    days_silent: int


class DeadEventList(ResponseModel):
    items: list[DeadEventOut]
    total: int
    days: int


class ArchiveDead(RequestModel):
    event_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]
    status: EventStatus = EventStatus.archived


class ArchiveDeadOut(ResponseModel):
    event_ids: list[uuid.UUID]
    status: str
    archived_count: int


class CoverageRow(ResponseModel):
    event_type_id: uuid.UUID | None
    event_type_name: str
    total_volume: int
    planned_volume: int
    volume_coverage: float | None
    active_events: int
    seen_events: int
    event_coverage: float | None


class CoverageOut(ResponseModel):
    items: list[CoverageRow]
    summary: CoverageRow
    days: int
