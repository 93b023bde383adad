"""Request and response shapes of meta fields (project-wide extra columns of events)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from tripl_core.plan.models import MetaFieldType, Sensitivity
from tripl_core.plan.type_schemas import DisplayName, EnumOption, Name, Order
from tripl_core.schemas import RequestModel, ResponseModel

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
