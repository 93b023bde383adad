"""From the effective AI settings to a chat model (or the reason there is none)."""

from __future__ import annotations

from tripl_core.ai.chat import ChatModel
from tripl_core.ai.provider import Endpoint
from tripl_core.errors import Conflict
from tripl_core.service_settings.schema import AiSettings


class AiDisabled(Conflict):
    code = "ai_disabled"


def enabled(ai: AiSettings) -> bool:
    return ai.ai_enabled and bool(ai.ai_base_url) and bool(ai.ai_model)


def chat_model(ai: AiSettings, *, require_enabled: bool = True) -> ChatModel:
    """The configured model; AiDisabled (409) when AI is off or `ai_base_url`/`ai_model` are unset."""
    if require_enabled and not ai.ai_enabled:
        raise AiDisabled("AI is disabled: an owner can switch it on in the AI settings (ai_enabled)")
    if not ai.ai_base_url or not ai.ai_model:
        raise AiDisabled("AI is not configured: set ai_base_url and ai_model in the AI settings")
    return ChatModel(endpoint=endpoint(ai, ai.ai_api_key), model=ai.ai_model,
                     max_output_tokens=ai.ai_max_output_tokens)


def endpoint(ai: AiSettings, api_key: str | None) -> Endpoint:
    assert ai.ai_base_url is not None
    return Endpoint(base_url=ai.ai_base_url, api_key=api_key, timeout_seconds=float(ai.ai_timeout_seconds),
                    allow_private=ai.ai_allow_private_network)
