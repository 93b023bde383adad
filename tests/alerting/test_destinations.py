"""Destinations and rules over HTTP: validation, defaults, write-only secrets encrypted in the row, and
Test Alert Destination against a local receiver."""

from __future__ import annotations

from sqlalchemy import text

from tests.alerting.support import P, destination, rule, seed
from tests.support.receivers import http_receiver
from tests.support.workspace import Workspace

SECRET_TOKEN = "xoxb-very-secret-token"


def test_secrets_are_write_only_and_encrypted_at_rest(ws: Workspace) -> None:
    seed(ws)
    made = destination(ws, {"type": "webhook", "target_url": f"https://hooks.example.com/{SECRET_TOKEN}",
                            "webhook_header_name": "X-Signature", "webhook_header_value": SECRET_TOKEN})
    assert made["target_url_set"] is True
    assert made["webhook_header_value_set"] is True
    assert made["webhook_header_name"] == "X-Signature"
    listed = ws.viewer.get(P + "/alert-destinations")
    fetched = ws.viewer.get(P + f"/alert-destinations/{made['id']}")
    audit = ws.owner.get("/api/v1/audit", params={"limit": 200})
    for response in (listed, fetched, audit):
        assert response.status_code == 200
        assert SECRET_TOKEN not in response.text
    with ws.db.engine.connect() as conn:
        row = conn.execute(text("SELECT settings, secrets_encrypted FROM alert_destinations")).one()
    assert SECRET_TOKEN not in str(row[0])
    assert SECRET_TOKEN not in row[1]
    assert row[1].startswith("gAAAA")  # Fernet


def test_update_keeps_absent_secrets_and_clears_empty_ones(ws: Workspace) -> None:
    seed(ws)
    made = destination(ws, {"type": "telegram", "bot_token": "123:abc", "chat_id": "42"})
    path = P + f"/alert-destinations/{made['id']}"
    renamed = ws.editor.patch(path, json={"name": "ops", "chat_id": "43"}).json()
    assert renamed["bot_token_set"] is True
    assert renamed["chat_id"] == "43"
    assert renamed["name"] == "ops"
    cleared = ws.editor.patch(path, json={"bot_token": ""})
    assert cleared.status_code == 422  # telegram needs its bot token
    assert "bot_token" in cleared.text
    assert ws.editor.delete(path).status_code == 204
    assert ws.editor.get(path).status_code == 404


def test_destination_validation(ws: Workspace) -> None:
    seed(ws)
    cases = [
        ({"type": "slack"}, "webhook_url"),
        ({"type": "webhook", "target_url": "ftp://x"}, "https"),
        ({"type": "email", "email_recipients": "a@example.com", "email_from_address": "nope"}, "email_from_address"),
        ({"type": "email", "email_recipients": ",".join(f"u{i}@example.com" for i in range(51)),
          "email_from_address": "alerts@example.com"}, "50"),
        ({"type": "email", "email_recipients": "a@example.com", "email_from_address": "alerts@example.com",
          "email_subject_template": "${nope}"}, "nope"),
        ({"type": "jira", "jira_base_url": "https://x.atlassian.net", "jira_auth_email": "a@example.com"},
         "jira_api_token"),
        ({"type": "linear", "linear_api_key": "k"}, "linear_team_id"),
    ]
    for body, hint in cases:
        response = ws.editor.post(P + "/alert-destinations", json={"name": "x", **body})
        assert response.status_code == 422, (body, response.text)
        assert hint in response.text, (body, response.text)
    jira = destination(ws, {"type": "jira", "jira_base_url": "https://x.atlassian.net", "jira_auth_email": "a@b.co",
                            "jira_api_token": "t", "jira_project_key": "OPS"})
    assert jira["jira_issue_type"] == "Task"
    assert jira["jira_api_token_set"] is True
    first = destination(ws, {"type": "slack", "webhook_url": "https://hooks.slack.com/x", "name": "same"})
    assert first["webhook_set"] is True
    duplicate = ws.editor.post(P + "/alert-destinations", json={"type": "slack", "name": "same",
                                                                "webhook_url": "https://hooks.slack.com/y"})
    assert duplicate.status_code == 409


def test_rule_defaults_validation_and_listing(ws: Workspace) -> None:
    seed(ws)
    dest = destination(ws, {"type": "slack", "webhook_url": "https://hooks.slack.com/x"})
    made = rule(ws, dest["id"])
    assert {k: made[k] for k in ("enabled", "include_project_total", "include_event_types", "include_events",
                                 "include_schema_drifts", "include_distribution_drifts",
                                 "include_release_regressions", "notify_on_spike", "notify_on_drop",
                                 "min_percent_delta", "min_absolute_delta", "min_expected_count",
                                 "cooldown_minutes", "message_format", "filters")} == {
        "enabled": True, "include_project_total": True, "include_event_types": True, "include_events": True,
        "include_schema_drifts": False, "include_distribution_drifts": False, "include_release_regressions": False,
        "notify_on_spike": True, "notify_on_drop": True, "min_percent_delta": 0, "min_absolute_delta": 0,
        "min_expected_count": 0, "cooldown_minutes": 1440, "message_format": "plain", "filters": []}
    rules_path = P + f"/alert-destinations/{dest['id']}/rules"
    refused = [
        {"name": "r", "notify_on_spike": False, "notify_on_drop": False},
        {"name": "r", "message_template": "${project_name} ${secret_sauce}"},
        {"name": "r", "items_template": "${rule_name}"},  # a message variable is not an item variable
        {"name": "r", "message_template": "$ {broken"},
        {"name": "r", "filters": [{"field": "platform", "op": "eq", "values": ["ios"]}]},
        {"name": "r", "message_format": "html"},
        {"name": "r", "cooldown_minutes": 0},
    ]
    for body in refused:
        assert ws.editor.post(rules_path, json=body).status_code == 422, body
    good = rule(ws, dest["id"], name="templated", message_format="telegram_html",
                message_template="${project_name}: ${matched_count}\n${items_text}",
                items_template="${scope_name} ${direction} ${percent_delta_label}",
                filters=[{"field": "event", "op": "in", "values": ["view"]}])
    path = rules_path + f"/{good['id']}"
    assert ws.editor.patch(path, json={"notify_on_spike": False, "notify_on_drop": False}).status_code == 422
    updated = ws.editor.patch(path, json={"cooldown_minutes": 30, "message_template": ""}).json()
    assert updated["cooldown_minutes"] == 30
    assert updated["message_template"] is None
    listed = ws.viewer.get(P + f"/alert-destinations/{dest['id']}").json()
    assert [r["name"] for r in listed["rules"]] == ["all", "templated"]
    assert ws.editor.delete(path).status_code == 204
    assert ws.editor.patch(path, json={"name": "x"}).status_code == 404


def test_test_message_reaches_the_receiver_and_reports_failures(ws: Workspace) -> None:
    seed(ws)
    with http_receiver(faults=["ok", "500"]) as receiver:
        dest = destination(ws, {"type": "slack", "webhook_url": receiver.url + "/services/T/B/X"})
        first = ws.editor.post(P + f"/alert-destinations/{dest['id']}/test").json()
        second = ws.editor.post(P + f"/alert-destinations/{dest['id']}/test").json()
    assert first["ok"] is True
    assert first["error"] is None
    assert first["sent_at"]
    assert second["ok"] is False
    assert "500" in second["error"]
    assert second["sent_at"] is None
    assert receiver.requests[0].path == "/services/T/B/X"
    assert set(receiver.requests[0].json()) == {"text"}
    assert "Shop" in receiver.requests[0].json()["text"]
