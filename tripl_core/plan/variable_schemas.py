"""Request and response shapes of variables."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from tripl_core.plan.models import VariableType
from tripl_core.plan.type_schemas import Description
from tripl_core.schemas import RequestModel, ResponseModel

VARIABLE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
VariableName = Annotated[str, Field(min_length=1, max_length=100, pattern=VARIABLE_NAME_PATTERN)]


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
