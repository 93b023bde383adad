"""Linear GraphQL `issueCreate` in the destination's team (optional state and labels). Linear answers
200 with `errors` for a refused mutation: that is a failure a person must look at, not a retry."""

from __future__ import annotations

from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.sending import DeliveryFailed, post

ISSUE_CREATE = ("mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
                "{ success issue { id identifier url } } }")


def build(rendered: Rendered, settings: dict[str, Any]) -> dict[str, Any]:
    issue: dict[str, Any] = {"teamId": settings["linear_team_id"], "title": rendered.subject,
                             "description": rendered.text}
    if settings.get("linear_state_id"):
        issue["stateId"] = settings["linear_state_id"]
    labels = [label.strip() for label in (settings.get("linear_label_ids") or "").split(",") if label.strip()]
    if labels:
        issue["labelIds"] = labels
    return {"query": ISSUE_CREATE, "variables": {"input": issue}}


def send(payload: dict[str, Any], context: SendContext) -> int:
    response = post(context.policy, context.policy.linear_api_url, json=payload,
                    headers={"Authorization": context.secrets["linear_api_key"]})
    try:
        body = response.json()
    except ValueError as exc:
        raise DeliveryFailed("Linear answered something other than JSON") from exc
    created = ((body.get("data") or {}).get("issueCreate") or {}).get("success")
    if body.get("errors") or not created:
        raise DeliveryFailed(f"Linear refused issueCreate: {str(body.get('errors'))[:300]}", transient=False)
    return 1
