"""What alert channels send through: the workspace's channel settings (Telegram and Linear endpoints,
SMTP) and `post`, which goes through the one outbound client (tripl_core.outbound) and turns its outcome
into a delivery's success or DeliveryFailed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tripl_core import outbound
from tripl_core.outbound import ConnectionPools, OutboundFailed, OutboundPolicy, OutboundRefused, OutboundResponse
from tripl_core.settings import Settings


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
class ChannelPolicy:
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    telegram_api_url: str = "https://api.telegram.org"
    linear_api_url: str = "https://api.linear.app/graphql"
    smtp: SmtpSettings = SmtpSettings()
    # kept-alive connections a sender shares across its deliveries (None: a connection per request)
    connections: ConnectionPools | None = field(default=None, compare=False)

    @property
    def timeout_seconds(self) -> float:
        return self.outbound.timeout_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelPolicy:
        return cls(outbound=outbound.outbound_policy(settings), telegram_api_url=settings.telegram_api_url,
                   linear_api_url=settings.linear_api_url,
                   smtp=SmtpSettings(host=settings.smtp_host, port=settings.smtp_port,
                                     username=settings.smtp_username, password=settings.smtp_password,
                                     starttls=settings.smtp_starttls))


def post(policy: ChannelPolicy, url: str, *, json: Any = None, content: bytes | None = None,
         headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> OutboundResponse:
    """POSTs through the outbound client; answers a 2xx response or raises DeliveryFailed (transient for
    timeouts, connection errors, 429 and 5xx)."""
    try:
        response = outbound.request(policy.outbound, "POST", url, json=json, content=content, headers=headers,
                                    auth=auth, pools=policy.connections)
    except OutboundRefused as exc:
        raise DeliveryFailed(f"Refused: {exc.message}", transient=False) from exc
    except OutboundFailed as exc:
        raise DeliveryFailed(exc.message, transient=exc.transient) from exc
    if response.is_success:
        return response
    transient = response.status_code == 429 or response.status_code >= 500
    raise DeliveryFailed(f"{_host(url)} answered {response.status_code}: {response.text[:200]}",
                         transient=transient)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "the target"
