"""What every channel gets: the rendered message and, to send, the destination's settings and secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tripl_core.alerting.models import MessageFormat
from tripl_core.alerting.sending import ChannelPolicy


@dataclass(frozen=True)
class Rendered:
    project: str
    destination: str
    rule: str
    scan: str | None
    matched_count: int
    text: str
    subject: str
    message_format: MessageFormat
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SendContext:
    settings: dict[str, Any]
    secrets: dict[str, str]
    policy: ChannelPolicy
    idempotency_key: str
    parts_sent: int = 0
