"""Jira Cloud REST v3: one issue per delivery (summary = the subject, description in Atlassian Document
Format), basic auth with the account email and API token."""

from __future__ import annotations

from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.sending import post

MAX_SUMMARY = 250


def build(rendered: Rendered, settings: dict[str, Any]) -> dict[str, Any]:
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
                  for line in rendered.text.split("\n") if line.strip()]
    return {"fields": {
        "project": {"key": settings["jira_project_key"]},
        "issuetype": {"name": settings.get("jira_issue_type") or "Task"},
        "summary": rendered.subject[:MAX_SUMMARY],
        "description": {"type": "doc", "version": 1, "content": paragraphs},
    }}


def send(payload: dict[str, Any], context: SendContext) -> int:
    url = f"{context.settings['jira_base_url'].rstrip('/')}/rest/api/3/issue"
    post(context.policy, url, json=payload, headers={"Accept": "application/json"},
         auth=(context.settings["jira_auth_email"], context.secrets["jira_api_token"]))
    return 1
