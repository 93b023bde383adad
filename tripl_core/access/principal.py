"""Who is calling: a signed-in user (cookie session) or an API key acting for its user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from tripl_core.access.models import ApiKey, ApiKeyScope, User, UserRole
from tripl_core.errors import NotFound, PermissionDenied


class Need(StrEnum):
    """What a route requires. `read` routes accept read keys; `write` and `admin` need write keys."""

    read = "read"
    write = "write"
    admin = "admin"

    @property
    def min_role(self) -> UserRole:
        return {"read": UserRole.viewer, "write": UserRole.editor, "admin": UserRole.owner}[self.value]


@dataclass(frozen=True)
class Principal:
    user: User
    api_key: ApiKey | None = None

    @property
    def role(self) -> UserRole:
        return UserRole(self.user.role)

    @property
    def bound_project_id(self) -> uuid.UUID | None:
        return self.api_key.project_id if self.api_key else None

    @property
    def display_name(self) -> str:
        return self.user.name or self.user.email

    def require(self, need: Need, *, keys_allowed: bool = True) -> None:
        if self.api_key is not None:
            if not keys_allowed:
                raise PermissionDenied("API keys cannot be used here; sign in with a session")
            if need is not Need.read and self.api_key.scope != ApiKeyScope.write.value:
                raise PermissionDenied(f"This API key has read scope; this operation needs a write key "
                                       f"(role {need.min_role.value} or above)")
        if self.role.rank < need.min_role.rank:
            raise PermissionDenied(f"This operation needs the {need.min_role.value} role; "
                                   f"your role is {self.role.value}")

    def require_project(self, project_id: uuid.UUID, slug: str) -> None:
        """A key bound to another project sees this one as missing, not forbidden."""
        if self.bound_project_id is not None and self.bound_project_id != project_id:
            raise NotFound(f"Project '{slug}' not found")

    def require_unbound(self, doing: str) -> None:
        if self.bound_project_id is not None:
            raise PermissionDenied(f"This API key is bound to one project and cannot {doing}")
