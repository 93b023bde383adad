"""Reading and changing the service settings, and what a change sets in motion in this process."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.ai import config as ai_config
from tripl_core.ai.provider import ProviderError
from tripl_core.errors import Conflict
from tripl_core.service_settings import logs
from tripl_core.service_settings.store import Effective, SettingsStore
from tripl_core.service_settings.views import TestAiOut


def update(session: Session, store: SettingsStore, principal: Principal,
           changes: dict[str, dict[str, Any]]) -> Effective:
    """Save the overrides; logging follows at once (other consumers read the settings when they act)."""
    store.apply(session, changes, principal.user.id)
    effective = store.effective(session)
    logs.configure(effective.observability)
    return effective


def test_ai(store: SettingsStore, session: Session, prompt: str) -> TestAiOut:
    """Send `prompt` with the saved AI settings (even while AI is switched off); never raises."""
    ai = store.effective(session).ai
    try:
        model = ai_config.chat_model(ai, require_enabled=False)
        answer = model.complete([{"role": "user", "content": prompt}])
    except (ProviderError, Conflict) as exc:
        return TestAiOut(ok=False, message=exc.message)
    text = " ".join(answer.split())
    return TestAiOut(ok=True, message=f"{model.model} answered: {text[:300]}" if text else
                     f"{model.model} answered with empty text")
