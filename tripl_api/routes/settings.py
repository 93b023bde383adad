"""Service and AI settings (SEMANTICS §14): owner only; defaults < environment < saved overrides."""

from __future__ import annotations

from tripl_api.deps import DbSession, OwnerReader, State, WorkspaceOwner
from tripl_api.routing import api_router
from tripl_core.ai import prompt_check
from tripl_core.service_settings import service, views
from tripl_core.service_settings.schema import AiSettingsUpdate
from tripl_core.service_settings.views import (
    AiSettingsOut,
    ServiceSettingsOut,
    ServiceSettingsUpdate,
    TestAiIn,
    TestAiOut,
)

router = api_router("settings", "/settings")


@router.get("", response_model=ServiceSettingsOut)
def get_service_settings(_owner: OwnerReader, session: DbSession, state: State) -> ServiceSettingsOut:
    """Effective settings by section; secrets only as `<field>_configured`; `sources` says which layer won."""
    return views.service_view(session, state.settings, state.store.effective(session))


@router.put("", response_model=ServiceSettingsOut)
def put_service_settings(body: ServiceSettingsUpdate, owner: WorkspaceOwner, session: DbSession,
                         state: State) -> ServiceSettingsOut:
    """Upsert service overrides. Intentionally identical to PATCH: unset fields are left untouched (partial
    update), not reset; `null` clears an override."""
    effective = service.update(session, state.store, owner, body.changes())
    return views.service_view(session, state.settings, effective)


@router.patch("", response_model=ServiceSettingsOut)
def patch_service_settings(body: ServiceSettingsUpdate, owner: WorkspaceOwner, session: DbSession,
                           state: State) -> ServiceSettingsOut:
    """Fields set are saved, `null` clears an override, absent fields are untouched."""
    effective = service.update(session, state.store, owner, body.changes())
    return views.service_view(session, state.settings, effective)


@router.get("/ai", response_model=AiSettingsOut)
def get_ai_settings(_owner: OwnerReader, session: DbSession, state: State) -> AiSettingsOut:
    return views.ai_view(state.store.effective(session))


@router.put("/ai", response_model=AiSettingsOut)
def put_ai_settings(body: AiSettingsUpdate, owner: WorkspaceOwner,  # type: ignore[valid-type]
                    session: DbSession, state: State) -> AiSettingsOut:
    """Upsert AI overrides (partial: only fields present in the request body are applied)."""
    changes = {"ai": {name: getattr(body, name) for name in body.model_fields_set}}  # type: ignore[attr-defined]
    return views.ai_view(service.update(session, state.store, owner, changes))


@router.post("/ai/test", response_model=TestAiOut, openapi_extra={"x-read-only": True})
def test_ai_settings(body: TestAiIn, owner: WorkspaceOwner, session: DbSession, state: State) -> TestAiOut:
    """Sends the prompt with the saved AI settings and answers `{ok, message}` whatever happens."""
    return prompt_check.try_prompt(state.store, session, body.prompt)
