"""Test AI (SEMANTICS §14): one prompt sent with the saved AI settings, to check the connection."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tripl_core.ai import config as ai_config
from tripl_core.ai.provider import ProviderError
from tripl_core.errors import Conflict
from tripl_core.service_settings.store import SettingsStore
from tripl_core.service_settings.views import TestAiOut


def try_prompt(store: SettingsStore, session: Session, prompt: str) -> TestAiOut:
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
