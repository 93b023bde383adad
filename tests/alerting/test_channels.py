"""Each channel through a real fan-out to a local receiver: exactly what the receiver got."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from tests.alerting.support import NOW, Clock, add_signal, destination, rule, seed, sender
from tests.support.receivers import SmtpReceiver, http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting.channels.telegram import MAX_TEXT
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.models import AlertDelivery
from tripl_core.settings import Settings


def _deliveries(ws: Workspace) -> list[AlertDelivery]:
    with ws.db.unit_of_work() as session:
        return list(session.query(AlertDelivery).order_by(AlertDelivery.created_at))


def test_webhook_payload_secret_header_and_idempotency_key(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s, event="view", actual=500, expected=100)
    add_signal(ws.db, s, event="click", direction="drop", actual=10, expected=100)
    with http_receiver() as receiver:
        dest = destination(ws, {"type": "webhook", "name": "hook", "target_url": receiver.url + "/in",
                                "webhook_header_name": "X-Tripl-Secret", "webhook_header_value": "s3cret"})
        rule(ws, dest["id"], name="volume")
        result = fan_out(ws.db, s.scan_id, sender(settings, Clock()))
    assert result.sent == {"sent": 1}
    [request] = receiver.requests
    delivery = _deliveries(ws)[0]
    assert request.headers["x-tripl-secret"] == "s3cret"
    assert request.headers["idempotency-key"] == str(delivery.id)
    body = request.json()
    assert {k: body[k] for k in ("project", "destination", "rule", "scan", "matched_count")} == {
        "project": "Shop", "destination": "hook", "rule": "volume", "scan": "hourly", "matched_count": 2}
    assert sorted((i["event"], i["direction"], i["actual_count"], i["expected_count"]) for i in body["items"]) == [
        ("click", "drop", 10.0, 100.0), ("view", "spike", 500.0, 100.0)]
    assert "view: spike 500 vs 100 expected (+400.0%)" in body["message"]
    assert delivery.payload_snapshot == body  # the exact payload is kept
    assert delivery.status == "sent"
    assert delivery.attempts == 1


def test_slack_gets_text_in_mrkdwn(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    with http_receiver(ok_body={}) as receiver:
        dest = destination(ws, {"type": "slack", "webhook_url": receiver.url + "/services/A/B/C"})
        rule(ws, dest["id"], message_format="slack_mrkdwn")
        fan_out(ws.db, s.scan_id, sender(settings, Clock()))
    [request] = receiver.requests
    assert request.path == "/services/A/B/C"
    assert list(request.json()) == ["text"]
    assert request.json()["text"].startswith("*tripl · Shop*: 1 alert(s) from rule *all*")


def test_telegram_splits_long_messages_under_the_limit(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    for hour in range(1, 21):
        add_signal(ws.db, s, bucket=NOW - timedelta(hours=hour))
    with http_receiver() as receiver:
        settings_for_telegram = settings.model_copy(update={"telegram_api_url": receiver.url})
        dest = destination(ws, {"type": "telegram", "bot_token": "123:ABC", "chat_id": "-100200"})
        rule(ws, dest["id"], message_format="telegram_html",
             items_template="${scope_name} <b>${direction}</b> ${bucket} " + "detail " * 50)
        fan_out(ws.db, s.scan_id, sender(settings_for_telegram, Clock()))
    assert len(receiver.requests) >= 2
    texts = []
    for request in receiver.requests:
        assert request.path == "/bot123:ABC/sendMessage"
        body = request.json()
        assert set(body) == {"chat_id", "text", "parse_mode"}
        assert body["chat_id"] == "-100200"
        assert body["parse_mode"] == "HTML"
        assert len(body["text"]) <= MAX_TEXT
        texts.append(body["text"])
    joined = "\n".join(texts)
    assert joined.count("<b>spike</b>") == 20
    assert len(_deliveries(ws)) == 1


def test_email_headers_and_recipients(ws: Workspace, settings: Settings, smtp: SmtpReceiver) -> None:
    s = seed(ws)
    add_signal(ws.db, s, direction="drop", actual=20, expected=100)
    dest = destination(ws, {"type": "email", "email_recipients": "a@example.com, b@example.com",
                            "email_from_address": "alerts@example.com",
                            "email_subject_template": "[${project_name}] ${matched_count} from ${rule_name}"})
    rule(ws, dest["id"], name="drops")
    fan_out(ws.db, s.scan_id, sender(settings, Clock()))
    [mail] = smtp.mails
    delivery = _deliveries(ws)[0]
    assert mail.mail_from == "alerts@example.com"
    assert mail.rcpt_tos == ["a@example.com", "b@example.com"]
    assert mail.message["Subject"] == "[Shop] 1 from drops"
    assert mail.message["To"] == "a@example.com, b@example.com"
    assert mail.message["Message-ID"] == f"<{delivery.id}@tripl>"
    assert "view: drop 20 vs 100 expected (-80.0%)" in mail.message.get_payload()


def test_jira_issue_create(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    with http_receiver(ok_body={"id": "10000", "key": "OPS-1"}) as receiver:
        dest = destination(ws, {"type": "jira", "jira_base_url": receiver.url, "jira_auth_email": "bot@example.com",
                                "jira_api_token": "jira-token", "jira_project_key": "OPS"})
        rule(ws, dest["id"])
        fan_out(ws.db, s.scan_id, sender(settings, Clock()))
    [request] = receiver.requests
    assert request.path == "/rest/api/3/issue"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"bot@example.com:jira-token").decode()
    fields = request.json()["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "[tripl] Shop: 1 alert(s) from all"
    assert fields["description"]["type"] == "doc"
    assert any("view: spike" in p["content"][0]["text"] for p in fields["description"]["content"])


def test_linear_issue_create_and_refusal(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    created = {"data": {"issueCreate": {"success": True, "issue": {"id": "i", "identifier": "OPS-1", "url": "u"}}}}
    with http_receiver(ok_body=created) as receiver:
        linear_settings = settings.model_copy(update={"linear_api_url": receiver.url + "/graphql"})
        dest = destination(ws, {"type": "linear", "linear_api_key": "lin_api_x", "linear_team_id": "team-1",
                                "linear_state_id": "state-1", "linear_label_ids": "l1, l2"})
        rule(ws, dest["id"])
        fan_out(ws.db, s.scan_id, sender(linear_settings, Clock()))
        receiver.ok_body = {"errors": [{"message": "team not found"}]}
        add_signal(ws.db, s, event="click")
        clock = Clock(NOW + timedelta(minutes=5))
        fan_out(ws.db, s.scan_id, sender(linear_settings, clock))
    first = receiver.requests[0]
    assert first.path == "/graphql"
    assert first.headers["authorization"] == "lin_api_x"
    assert "issueCreate" in first.json()["query"]
    issue = first.json()["variables"]["input"]
    assert issue["teamId"] == "team-1"
    assert issue["stateId"] == "state-1"
    assert issue["labelIds"] == ["l1", "l2"]
    assert "view: spike" in issue["description"]
    refused = _deliveries(ws)[1]
    assert refused.status == "failed"
    assert "team not found" in (refused.error_message or "")
    assert refused.next_attempt_at is None  # a refusal waits for a person, it is not retried
    assert json.loads(json.dumps(refused.payload_snapshot))["variables"]["input"]["teamId"] == "team-1"
    assert uuid.UUID(str(refused.id))
