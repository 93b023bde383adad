"""Generic webhook: JSON `{project, destination, rule, scan, matched_count, message, items}`, the
destination's secret header, and `Idempotency-Key` (the delivery id: the same on every retry, so a
receiver that saw a request whose response was lost can drop the repeat)."""

from __future__ import annotations

import json
from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.sending import post

IDEMPOTENCY_HEADER = "Idempotency-Key"


def build(rendered: Rendered, _settings: dict[str, Any]) -> dict[str, Any]:
    return {"project": rendered.project, "destination": rendered.destination, "rule": rendered.rule,
            "scan": rendered.scan, "matched_count": rendered.matched_count, "message": rendered.text,
            "items": rendered.items}


def send(payload: dict[str, Any], context: SendContext) -> int:
    return send_stored(json.dumps(payload), context)


def send_stored(payload_json: str, context: SendContext) -> int:
    """The body is the payload's JSON text as the delivery keeps it (what `json.dumps` made of it)."""
    headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: context.idempotency_key}
    header_name = context.settings.get("webhook_header_name")
    if header_name and context.secrets.get("webhook_header_value"):
        headers[header_name] = context.secrets["webhook_header_value"]
    post(context.policy, context.secrets["target_url"], content=payload_json.encode(), headers=headers)
    return 1
