"""Request and response shapes of meta fields, variables and relations."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from tripl_core.plan.models import MetaFieldType, RelationType, Sensitivity, VariableType
from tripl_core.plan.type_schemas import Description, DisplayName, EnumOption, Name, Order
from tripl_core.schemas import RequestModel, ResponseModel

VARIABLE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
VariableName = Annotated[str, Field(min_length=1, max_length=100, pattern=VARIABLE_NAME_PATTERN)]
MetaText = Annotated[str, Field(max_length=10_000)]


class MetaFieldCreate(RequestModel):
    name: Name
    display_name: DisplayName
    field_type: MetaFieldType
    is_required: bool = False
    enum_options: list[EnumOption] | None = None
    default_value: MetaText | None = None
    link_template: MetaText | None = None
    order: Order = 0
    sensitivity: Sensitivity = Sensitivity.none


class MetaFieldUpdate(RequestModel):
    """Omitted attributes stay; `null` clears enum options, the default value and the link template."""

    display_name: DisplayName | None = None
    field_type: MetaFieldType | None = None
    is_required: bool | None = None
    enum_options: list[EnumOption] | None = None
    default_value: MetaText | None = None
    link_template: MetaText | None = None
    order: Order | None = None
    sensitivity: Sensitivity | None = None


class MetaFieldOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    display_name: str
    field_type: str
    is_required: bool
    enum_options: list[str] | None
    default_value: str | None
    link_template: str | None
    order: int
    sensitivity: str


class VariableCreate(RequestModel):
    name: VariableName
    variable_type: VariableType = VariableType.string
    description: Description = ""


class VariableUpdate(RequestModel):
    name: VariableName | None = None
    variable_type: VariableType | None = None
    description: Description | None = None


class VariableOut(ResponseModel):
    """Usage: `event_count` counts events whose values use the variable; the context counts and samples
    describe where scans observed it (zero and empty until a scan has seen it)."""

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    source_name: str | None
    variable_type: str
    description: str
    event_count: int = 0
    context_count: int = 0
    low_context_count: int = 0
    high_context_count: int = 0
    sample_values: list[str] = []


class RelationCreate(RequestModel):
    source_event_type_id: uuid.UUID
    target_event_type_id: uuid.UUID
    source_field_id: uuid.UUID
    target_field_id: uuid.UUID
    relation_type: RelationType = RelationType.belongs_to
    description: Description = ""


class RelationOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    source_event_type_id: uuid.UUID
    target_event_type_id: uuid.UUID
    source_field_id: uuid.UUID
    target_field_id: uuid.UUID
    relation_type: str
    description: str
