"""Telegram Bot API `sendMessage {chat_id, text, parse_mode}`; text longer than Telegram's 4096
characters is split on line boundaries into several messages, sent in order. A retry resumes after the
parts already sent, so none is sent twice."""

from __future__ import annotations

from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.models import MessageFormat
from tripl_core.alerting.sending import DeliveryFailed, post

MAX_TEXT = 4096
PARSE_MODES = {MessageFormat.telegram_html: "HTML", MessageFormat.telegram_markdownv2: "MarkdownV2"}


def build(rendered: Rendered, settings: dict[str, Any]) -> dict[str, Any]:
    mode = PARSE_MODES.get(rendered.message_format)
    messages = []
    for text in split(rendered.text):
        message: dict[str, Any] = {"chat_id": settings["chat_id"], "text": text}
        if mode:
            message["parse_mode"] = mode
        messages.append(message)
    return {"messages": messages}


def send(payload: dict[str, Any], context: SendContext) -> int:
    url = f"{context.policy.telegram_api_url.rstrip('/')}/bot{context.secrets['bot_token']}/sendMessage"
    sent = context.parts_sent
    for message in payload["messages"][sent:]:
        try:
            post(context.policy, url, json=message)
        except DeliveryFailed as exc:
            exc.parts_sent = sent
            raise
        sent += 1
    return sent


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line is cut hard
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    if current or not parts:
        parts.append(current)
    return parts
