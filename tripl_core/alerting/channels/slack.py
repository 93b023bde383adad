"""Slack incoming webhook: `{text}` (mrkdwn when the rule's format is slack_mrkdwn)."""

from __future__ import annotations

from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.sending import post


def build(rendered: Rendered, _settings: dict[str, Any]) -> dict[str, Any]:
    return {"text": rendered.text}


def send(payload: dict[str, Any], context: SendContext) -> int:
    post(context.policy, context.secrets["webhook_url"], json=payload)
    return 1
