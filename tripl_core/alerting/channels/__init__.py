"""Channels: each builds the exact payload a delivery keeps (no secrets in it) and sends it with the
destination's settings and secrets. `send` answers how many parts were sent in total (Telegram splits
long messages; the others send one) or raises DeliveryFailed, carrying the parts sent so far."""

from __future__ import annotations

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


CHANNELS: dict[DestinationType, Channel] = {
    DestinationType.slack: Channel(slack.build, slack.send),
    DestinationType.telegram: Channel(telegram.build, telegram.send),
    DestinationType.webhook: Channel(webhook.build, webhook.send),
    DestinationType.email: Channel(email.build, email.send),
    DestinationType.jira: Channel(jira.build, jira.send),
    DestinationType.linear: Channel(linear.build, linear.send),
}

__all__ = ["CHANNELS", "Channel", "Rendered", "SendContext"]
