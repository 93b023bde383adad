"""The one place tripl's AI features reach the network: an OpenAI-compatible API (chat completions and
embeddings) at the owner's `ai_base_url`.

Outbound rules (SEMANTICS §9), kept minimal here until the shared outbound client replaces `_post`: http(s)
only; the host must resolve to public addresses unless the owner switched on `ai_allow_private_network` (a
model on this host or network, e.g. Ollama); no redirects; a timeout on every phase; the answer is read up to
MAX_RESPONSE_BYTES. Failures raise ProviderError with a message naming the cause (never the key)."""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tripl_core.errors import UpstreamError

MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class ProviderError(UpstreamError):
    """The provider is unreachable, slow, refused or answered something unusable (502)."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str | None
    timeout_seconds: float
    allow_private: bool


def check_address(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(f"the AI endpoint {url!r} is not an http(s) URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ProviderError(f"the AI endpoint host {parts.hostname!r} does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise ProviderError(f"the AI endpoint host {parts.hostname!r} resolves to the non-public address "
                                f"{address}; switch on ai_allow_private_network in the AI settings for a model on "
                                "this host or network")


def post_json(endpoint: Endpoint, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to `<base_url><path>` and return the JSON object answered."""
    url = endpoint.base_url.rstrip("/") + path
    check_address(url, endpoint.allow_private)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    return _post(url, headers, payload, endpoint.timeout_seconds)


def _post(url: str, headers: dict[str, str], payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client, \
                client.stream("POST", url, headers=headers, json=payload) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProviderError(f"the AI provider's answer exceeds {MAX_RESPONSE_BYTES} bytes")
    except httpx.TimeoutException as exc:
        raise ProviderError(f"the AI provider did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"the AI provider could not be reached: {type(exc).__name__}: {exc}") from exc
    if response.is_redirect:
        raise ProviderError(f"the AI provider answered a redirect ({response.status_code}); set ai_base_url to "
                            "the final address")
    if response.status_code >= 400:
        raise ProviderError(f"the AI provider answered HTTP {response.status_code}: {_reason(bytes(body))}")
    try:
        answer = json.loads(body)
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
