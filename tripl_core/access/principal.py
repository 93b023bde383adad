"""Who is calling: a signed-in user (cookie session) or an API key acting for its user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from tripl_core.access.models import ApiKey, ApiKeyScope, User, UserRole
from tripl_core.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Need:
    """What a route requires: a minimum role, and whether it writes (read-scoped keys may only read)."""

    min_role: UserRole
    writes: bool

    READ: ClassVar[Need]
    WRITE: ClassVar[Need]
    ADMIN: ClassVar[Need]
    ADMIN_READ: ClassVar[Need]


Need.READ = Need(UserRole.viewer, writes=False)
Need.WRITE = Need(UserRole.editor, writes=True)
Need.ADMIN = Need(UserRole.owner, writes=True)
Need.ADMIN_READ = Need(UserRole.owner, writes=False)


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
            if need.writes and self.api_key.scope != ApiKeyScope.write.value:
                raise PermissionDenied("This API key has read scope; this operation needs a write key")
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
