"""Routers whose routes run inside one transaction per request (see transaction.py)."""

from __future__ import annotations

from fastapi import APIRouter

from tripl_api.errors import ErrorResponse
from tripl_api.transaction import TransactionalRoute

API_PREFIX = "/api/v1"

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {401: "Not signed in, or the key is invalid, revoked or expired",
                         403: "Role or key scope does not allow this", 404: "Not found",
                         409: "Conflicts with existing data", 422: "Invalid input",
                         429: "Rate limited; see Retry-After"}.items()
}


def api_router(tag: str, prefix: str = "") -> APIRouter:
    """Operation summaries come from the function names (`list_projects` → "List Projects")."""
    return APIRouter(prefix=API_PREFIX + prefix, tags=[tag], route_class=TransactionalRoute,
                     responses=ERROR_RESPONSES)
