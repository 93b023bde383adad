"""Outbound HTTP for alert channels: https only and public addresses only (unless the workspace allows
private receivers), checked on the first URL and again on every redirect, which are followed by hand."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tripl_core.settings import Settings

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class DeliveryFailed(Exception):
    """A send that did not succeed. `transient` failures (timeouts, 5xx, 429, dropped connections) are
    retried; the others (a refused target, 4xx) wait for a person to retry."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.parts_sent: int | None = None  # a channel sending several parts says how many went out


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    implicit_tls: bool = False  # SMTPS (port 465): TLS from the first byte


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    timeout_seconds: float = 10.0
    telegram_api_url: str = "https://api.telegram.org"
    linear_api_url: str = "https://api.linear.app/graphql"
    smtp: SmtpSettings = SmtpSettings()

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(allow_private=settings.allow_private_webhooks, timeout_seconds=settings.alert_http_timeout_seconds,
                   telegram_api_url=settings.telegram_api_url, linear_api_url=settings.linear_api_url,
                   smtp=SmtpSettings(host=settings.smtp_host, port=settings.smtp_port,
                                     username=settings.smtp_username, password=settings.smtp_password,
                                     starttls=settings.smtp_starttls))


def check_url_shape(url: str, allow_private: bool, what: str) -> str | None:
    """Why `url` cannot be a target (None when it can), without touching the network."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{what} must be an absolute https URL"
    if parts.scheme != "https" and not allow_private:
        return f"{what} must use https (private http receivers need TRIPL_ALLOW_PRIVATE_WEBHOOKS=true)"
    return None


def check_target(url: str, allow_private: bool) -> None:
    """Refuses a URL whose host resolves to any non-public address (loopback, private, link-local…)."""
    reason = check_url_shape(url, allow_private, "The target")
    if reason:
        raise DeliveryFailed(reason, transient=False)
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DeliveryFailed(f"Cannot resolve {host}: {exc.strerror}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DeliveryFailed(f"Refused: {host} resolves to the non-public address {address} (set "
                                 "TRIPL_ALLOW_PRIVATE_WEBHOOKS=true for self-hosted receivers)", transient=False)


def post(policy: OutboundPolicy, url: str, *, json: Any = None, content: bytes | None = None,
         headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> httpx.Response:
    """POSTs and follows redirects itself so that every hop passes `check_target`; answers a 2xx response
    or raises DeliveryFailed (transient for timeouts, connection errors, 429 and 5xx)."""
    with httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False, auth=auth,
                      verify=_tls_context()) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_target(url, policy.allow_private)
            try:
                response = client.post(url, json=json, content=content, headers=headers)
            except httpx.TimeoutException as exc:
                raise DeliveryFailed(f"Timed out after {policy.timeout_seconds:g}s: {_host(url)}") from exc
            except httpx.HTTPError as exc:
                raise DeliveryFailed(f"Connection to {_host(url)} failed: {type(exc).__name__}: {exc}") from exc
            if response.status_code in REDIRECTS and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            return _accepted(response, url)
    raise DeliveryFailed(f"More than {MAX_REDIRECTS} redirects", transient=False)


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once: loading the
    CA bundle costs ~40 ms, which a client per request paid on every delivery. Contexts are thread-safe."""
    return httpx.create_ssl_context()


def _accepted(response: httpx.Response, url: str) -> httpx.Response:
    if response.is_success:
        return response
    transient = response.status_code == 429 or response.status_code >= 500
    raise DeliveryFailed(f"{_host(url)} answered {response.status_code}: {response.text[:200]}", transient=transient)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the target"
