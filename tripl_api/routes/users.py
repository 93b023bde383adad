from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from tripl_api.deps import DbSession, Offset, Reader, WorkspaceOwner
from tripl_api.routing import api_router
from tripl_core.access import accounts
from tripl_core.access.schemas import UserOut, UserRoleIn, UserRoleOut
from tripl_core.pagination import PageRequest

router = api_router("users", "/users")


@router.get("", response_model=list[UserOut])
def list_users(_: Reader, session: DbSession, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
               offset: Offset = 0) -> list[UserOut]:
    """Every account of the workspace, oldest first."""
    return [UserOut.model_validate(u) for u in accounts.list_users(session, PageRequest(offset, limit))]


@router.patch("/{user_id}", response_model=UserRoleOut)
def update_user_role(user_id: uuid.UUID, body: UserRoleIn, _: WorkspaceOwner, session: DbSession) -> UserRoleOut:
    """Change a user's role (owner only). The last owner cannot be demoted."""
    return UserRoleOut.model_validate(accounts.update_role(session, user_id, body.role))
