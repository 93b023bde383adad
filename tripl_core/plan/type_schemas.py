"""Request and response shapes of event types, their owners and their field definitions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from tripl_core.plan.models import FieldType, Sensitivity
from tripl_core.schemas import RequestModel, ResponseModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, Field(max_length=10_000)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Order = Annotated[int, Field(ge=0, le=1_000_000)]
Rate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Regex = Annotated[str, Field(min_length=1, max_length=2_000)]
EnumOption = Annotated[str, Field(max_length=500)]


class FieldCreate(RequestModel):
    name: Name
    display_name: DisplayName
    field_type: FieldType
    is_required: bool = False
    enum_options: list[EnumOption] | None = None
    description: Description = ""
    order: Order = 0
    sensitivity: Sensitivity = Sensitivity.none
    contract_required_max_null_rate: Rate | None = None
    contract_regex: Regex | None = None
    contract_min_value: Number | None = None
    contract_max_value: Number | None = None
    contract_max_bad_rate: Rate = 0.0


class FieldBulkCreate(RequestModel):
    fields: Annotated[list[FieldCreate], Field(min_length=1, max_length=1_000)]


class FieldUpdate(RequestModel):
    """Omitted attributes stay; `null` clears the nullable ones (enum options, contracts)."""

    display_name: DisplayName | None = None
    field_type: FieldType | None = None
    is_required: bool | None = None
    enum_options: list[EnumOption] | None = None
    description: Description | None = None
    order: Order | None = None
    sensitivity: Sensitivity | None = None
    contract_required_max_null_rate: Rate | None = None
    contract_regex: Regex | None = None
    contract_min_value: Number | None = None
    contract_max_value: Number | None = None
    contract_max_bad_rate: Rate | None = None


class FieldReorder(RequestModel):
    field_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=10_000)]


class FieldOut(ResponseModel):
    id: uuid.UUID
    event_type_id: uuid.UUID
    name: str
    display_name: str
    field_type: str
    is_required: bool
    enum_options: list[str] | None
    description: str
    order: int
    sensitivity: str
    contract_required_max_null_rate: float | None
    contract_regex: str | None
    contract_min_value: float | None
    contract_max_value: float | None
    contract_max_bad_rate: float


class EventTypeCreate(RequestModel):
    name: Name
    display_name: DisplayName | None = Field(default=None, description="Defaults to the name in title case.")
    description: Description = ""
    color: Color = "#6366f1"
    order: Order = 0
    field_definitions: Annotated[list[FieldCreate], Field(max_length=1_000)] = []


class EventTypeUpdate(RequestModel):
    display_name: DisplayName | None = None
    description: Description | None = None
    color: Color | None = None
    order: Order | None = None


class EventTypeOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    display_name: str
    description: str
    color: str
    order: int
    created_at: datetime
    updated_at: datetime
    field_definitions: list[FieldOut] = []


class OwnerAdd(RequestModel):
    user_id: uuid.UUID


class OwnerOut(ResponseModel):
    id: uuid.UUID
    event_type_id: uuid.UUID
    user_id: uuid.UUID
    user_email: str
    user_name: str | None
    granted_by: uuid.UUID | None
    created_at: datetime
