"""The one place tripl's AI features reach the network: an OpenAI-compatible API (chat completions and
embeddings) at the owner's `ai_base_url`.

Outbound rules (SEMANTICS §9) through the shared client (tripl_core.outbound: resolved once, pinned, every
IPv4-embedding IPv6 form judged by its IPv4): http(s) only; the host must resolve to public addresses unless
the owner switched on `ai_allow_private_network` (a model on this host or network, e.g. Ollama); no
redirects; one deadline for the exchange; the answer is read up to MAX_RESPONSE_BYTES. Failures raise
ProviderError with a message naming the cause (never the key)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tripl_core import outbound
from tripl_core.errors import UpstreamError
from tripl_core.outbound import OutboundFailed, OutboundPolicy, OutboundRefused, check_url

MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class ProviderError(UpstreamError):
    """The provider is unreachable, slow, refused or answered something unusable (502)."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str | None
    timeout_seconds: float
    allow_private: bool


def policy_of(endpoint: Endpoint) -> OutboundPolicy:
    """The shared outbound rules for this endpoint: no redirects (a moved endpoint is a configuration to
    fix, and following one could carry the key elsewhere), the answer capped, the owner's private switch."""
    return OutboundPolicy(allow_private=endpoint.allow_private, timeout_seconds=endpoint.timeout_seconds,
                          max_response_bytes=MAX_RESPONSE_BYTES, max_redirects=0)


def check_address(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address (unless allowed)."""
    try:
        check_url(url, OutboundPolicy(allow_private=allow_private), what="ai_base_url")
    except OutboundRefused as exc:
        raise ProviderError(f"the AI endpoint is refused: {exc.message}" + (
            "" if allow_private else "; switch on ai_allow_private_network in the AI settings for a model on "
            "this host or network")) from exc


def post_json(endpoint: Endpoint, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to `<base_url><path>` and return the JSON object answered."""
    url = endpoint.base_url.rstrip("/") + path
    check_address(url, endpoint.allow_private)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    try:
        response = outbound.request(policy_of(endpoint), "POST", url, json=payload, headers=headers)
    except OutboundRefused as exc:
        if "redirect" in exc.message:
            raise ProviderError("the AI provider answered a redirect; set ai_base_url to the final address") from exc
        raise ProviderError(f"the AI endpoint is refused: {exc.message}") from exc
    except OutboundFailed as exc:
        if "Timed out" in exc.message:
            raise ProviderError(f"the AI provider did not answer within {endpoint.timeout_seconds:g} s") from exc
        raise ProviderError(f"the AI provider could not be reached: {exc.message}") from exc
    if response.status_code >= 400:
        raise ProviderError(f"the AI provider answered HTTP {response.status_code}: {_reason(response.content)}")
    try:
        answer = json.loads(response.content)
    except ValueError as exc:
        raise ProviderError("the AI provider's answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise ProviderError("the AI provider's answer is not a JSON object")
    return answer


def _reason(body: bytes) -> str:
    try:
        data = json.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:300]
    except ValueError:
        pass
    return body[:300].decode("utf-8", "replace") or "(empty body)"
