"""Request and response shapes of accounts, API keys, audit and activity."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints

from tripl_core.access.models import ApiKeyScope, UserRole
from tripl_core.schemas import RequestModel, ResponseModel

Password = Annotated[str, Field(min_length=8, max_length=255)]


class RegisterIn(RequestModel):
    email: EmailStr
    password: Password
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None


class LoginIn(RequestModel):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Password


class UserOut(ResponseModel):
    id: uuid.UUID
    email: str
    name: str | None
    role: UserRole
    created_at: datetime
    updated_at: datetime


class UserRoleIn(RequestModel):
    role: UserRole


class UserRoleOut(ResponseModel):
    id: uuid.UUID
    email: str
    name: str | None
    role: UserRole
    created_at: datetime


class ApiKeyCreateIn(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scope: ApiKeyScope = ApiKeyScope.read
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    project_slug: Annotated[str, Field(max_length=255)] | None = None


class ApiKeyOut(ResponseModel):
    id: uuid.UUID
    name: str
    key_prefix: str
    scope: ApiKeyScope
    project_id: uuid.UUID | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreatedOut(ApiKeyOut):
    token: str = Field(description="The full key. Shown once; store it now.")


class AuditEntryOut(ResponseModel):
    id: uuid.UUID
    created_at: datetime
    user_id: uuid.UUID | None
    user_email: str | None
    api_key_id: uuid.UUID | None
    action: str
    method: str
    path: str
    status_code: int
    project_id: uuid.UUID | None
    project_slug: str | None
    target_type: str | None
    target_id: str | None
    ip_address: str | None
    details: dict[str, Any]


class AuditPage(ResponseModel):
    """`next_cursor`: pass it as `cursor` for the next page (null on the last); `total` counts every match."""

    items: list[AuditEntryOut]
    total: int
    next_cursor: str | None = None


class ActivityOut(ResponseModel):
    id: uuid.UUID
    created_at: datetime
    project_id: uuid.UUID | None
    project_slug: str
    project_name: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    kind: str
    entity_type: str | None
    entity_id: str | None
    entity_name: str | None
    summary: str
    details: dict[str, Any]
