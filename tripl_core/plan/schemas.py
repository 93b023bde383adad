"""Request and response shapes of projects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from tripl_core.schemas import RequestModel, ResponseModel

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Slug = Annotated[str, Field(min_length=1, max_length=255, pattern=SLUG_PATTERN)]


class ProjectCreate(RequestModel):
    name: ProjectName
    slug: Slug
    description: Annotated[str, Field(max_length=10_000)] = ""


class ProjectUpdate(RequestModel):
    name: ProjectName | None = None
    slug: Slug | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None


class ProjectOut(ResponseModel):
    id: uuid.UUID
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime
    summary: dict[str, Any] = Field(default_factory=dict,
                                    description="Counts of the project's plan and monitoring objects.")
