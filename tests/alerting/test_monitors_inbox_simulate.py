"""Monitors, the inbox and Simulate over HTTP: live states, mutes, inbox actions changing what fan-out
sends, a false positive raising the scope's threshold, and a rule replayed over stored signals."""

from __future__ import annotations

from datetime import timedelta

from tests.alerting.support import Clock, P, add_signal, destination, rule, seed, sender
from tests.support.receivers import http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting.fanout import fan_out
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings


def test_monitors_inbox_actions_and_threshold(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    clock = Clock(utcnow())
    with http_receiver() as receiver:
        dest = destination(ws, {"type": "webhook", "name": "hook", "target_url": receiver.url + "/h"})
        made = rule(ws, dest["id"], name="volume", cooldown_minutes=1)
        quiet = rule(ws, dest["id"], name="quiet", notify_on_spike=False)
        summary = ws.viewer.get(P + "/monitors-summary").json()
        assert (summary["healthy_count"], summary["total"]) == (2, 2)
        add_signal(ws.db, s, bucket=clock.now - timedelta(hours=2), z=4.4)
        fan_out(ws.db, s.scan_id, sender(settings, clock))
        monitor = ws.viewer.get(P + f"/monitors/{made['id']}").json()
        assert monitor["status"] == "firing"
        assert monitor["firing_scope_count"] == 1
        assert monitor["total_deliveries"] == 1
        assert monitor["last_delivery_status"] == "sent"
        assert ws.viewer.get(P + f"/monitors/{quiet['id']}").json()["status"] == "healthy"
        [group] = ws.viewer.get(P + "/alert-inbox", params={"status": "open"}).json()["items"]
        assert group["rule_names"] == ["volume"]
        assert group["scope_names"] == ["view"]
        assert group["delivery_count"] == 1
        acted = ws.editor.post(P + f"/alert-inbox/{group['correlation_group_id']}/actions",
                               json={"action": "acknowledge", "note": "looking"}).json()
        assert acted["status"] == "acknowledged"
        assert acted["note"] == "looking"
        assert ws.viewer.get(P + f"/monitors/{made['id']}").json()["status"] == "warning"
        clock.advance(timedelta(minutes=5))
        add_signal(ws.db, s, bucket=clock.now - timedelta(hours=1), z=4.4)
        fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert len(receiver.requests) == 1  # acknowledged groups send nothing
        path = P + f"/alert-inbox/{group['correlation_group_id']}/actions"
        assert ws.editor.post(path, json={"action": "mute", "muted_until": "2000-01-01T00:00:00Z"}).status_code == 422
        ws.editor.post(path, json={"action": "false_positive"})
        ws.editor.post(path, json={"action": "reopen"})
        clock.advance(timedelta(minutes=5))
        add_signal(ws.db, s, bucket=clock.now - timedelta(minutes=30), z=4.4)
        fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert len(receiver.requests) == 1  # |z| 4.4 is below the raised threshold 4.5
        add_signal(ws.db, s, event="click", bucket=clock.now - timedelta(minutes=30), z=4.4)
        muted = ws.editor.post(P + f"/monitors/{made['id']}/mute",
                               json={"muted_until": (clock.now + timedelta(hours=1)).isoformat()}).json()
        assert muted["muted"] is True
        fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert len(receiver.requests) == 1  # a muted monitor sends nothing
        assert ws.editor.post(P + f"/monitors/{made['id']}/unmute").json()["muted"] is False
        fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert len(receiver.requests) == 2
    assert [i["event"] for i in receiver.requests[1].json()["items"]] == ["click"]
    listed = ws.viewer.get(P + "/alert-inbox").json()
    assert listed["total"] == 2
    assert ws.editor.post(P + f"/alert-inbox/{made['id']}/actions", json={"action": "resolve"}).status_code == 404


def test_simulate_replays_stored_signals_with_cooldown(ws: Workspace) -> None:
    s = seed(ws)
    now = utcnow()
    for hours in (1, 2, 3, 30, 50):
        add_signal(ws.db, s, bucket=now - timedelta(hours=hours))
    add_signal(ws.db, s, bucket=now - timedelta(days=9))  # outside 7 days
    add_signal(ws.db, s, event="click", direction="drop", bucket=now - timedelta(hours=5))
    dest = destination(ws, {"type": "slack", "webhook_url": "https://hooks.slack.com/x"})
    made = rule(ws, dest["id"], notify_on_drop=False, cooldown_minutes=1440)
    path = P + f"/alert-destinations/{dest['id']}/rules/{made['id']}/simulate"
    report = ws.viewer.post(path).json()
    assert report["days"] == 7
    assert report["anomalies_considered"] == 6
    assert report["matched_before_cooldown"] == 5
    assert [f["matched_count"] for f in report["firings"]] == [1, 1]  # 50 h and 3 h ago (30 h: cooldown)
    assert report["cooldown_minutes_used"] == 1440
    assert "view: spike" in report["rendered_message"]
    assert sum(day["firings"] for day in report["per_day"]) == 2
    loose = ws.viewer.post(path, params={"days": 1, "cooldown_minutes_override": 30}).json()
    assert len(loose["firings"]) == 3  # 3 h, 2 h, 1 h ago
    assert loose["cooldown_minutes_saved"] == 1410
    assert ws.viewer.post(path, params={"days": 91}).status_code == 422
