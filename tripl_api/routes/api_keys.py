from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import DbSession, SessionOnly
from tripl_api.routing import api_router
from tripl_core.access import api_keys
from tripl_core.access.schemas import ApiKeyCreatedOut, ApiKeyCreateIn, ApiKeyOut
from tripl_core.plan import projects

router = api_router("api-keys", "/me/api-keys")


@router.get("", response_model=list[ApiKeyOut])
def list_api_keys(principal: SessionOnly, session: DbSession) -> list[ApiKeyOut]:
    """Your API keys (tokens are never shown again)."""
    return [ApiKeyOut.model_validate(k) for k in api_keys.list_keys(session, principal.user)]


@router.post("", response_model=ApiKeyCreatedOut, status_code=201)
def create_api_key(body: ApiKeyCreateIn, principal: SessionOnly, session: DbSession) -> ApiKeyCreatedOut:
    """Create a key. The response carries the token once; only its digest is stored."""
    project_id = projects.get_by_slug(session, body.project_slug).id if body.project_slug is not None else None
    key, token = api_keys.create_key(session, principal.user, body, project_id)
    return ApiKeyCreatedOut.model_validate({**ApiKeyOut.model_validate(key).model_dump(), "token": token})


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_api_key(key_id: uuid.UUID, principal: SessionOnly, session: DbSession) -> Response:
    """Revoke a key; requests with it answer 401 from now on."""
    api_keys.revoke_key(session, principal.user, key_id)
    return Response(status_code=204)
