"""Channels: each builds the exact payload a delivery keeps (no secrets in it) and sends it with the
destination's settings and secrets. `send` answers how many parts were sent in total (Telegram splits
long messages; the others send one) or raises DeliveryFailed, carrying the parts sent so far."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tripl_core.alerting.channels import email, jira, linear, slack, telegram, webhook
from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.models import DestinationType


@dataclass(frozen=True)
class Channel:
    build: Callable[[Rendered, dict[str, Any]], dict[str, Any]]
    send: Callable[[dict[str, Any], SendContext], int]
    # a channel whose request body is the payload itself sends its stored JSON text as it is (no parse and
    # dump per attempt); the others get the payload parsed
    send_stored: Callable[[str, SendContext], int] | None = None

    def send_text(self, stored: str, context: SendContext) -> int:
        """Sends a payload given as the JSON text a delivery stores."""
        if self.send_stored is not None:
            return self.send_stored(stored, context)
        return self.send(json.loads(stored), context)


CHANNELS: dict[DestinationType, Channel] = {
    DestinationType.slack: Channel(slack.build, slack.send),
    DestinationType.telegram: Channel(telegram.build, telegram.send),
    DestinationType.webhook: Channel(webhook.build, webhook.send, webhook.send_stored),
    DestinationType.email: Channel(email.build, email.send),
    DestinationType.jira: Channel(jira.build, jira.send),
    DestinationType.linear: Channel(linear.build, linear.send),
}

__all__ = ["CHANNELS", "Channel", "Rendered", "SendContext"]
