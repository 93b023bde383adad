"""Every alerting route x every kind of caller: reads (and Simulate, a query) for every role and key of
the project; changes, test sends, retries, mutes and inbox actions for editors and write keys; a key bound
to another project sees nothing (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.alerting.support import Clock, P, add_signal, destination, rule, seed, sender
from tests.api.test_permission_matrix import CALLERS, callers, expect
from tests.support.receivers import http_receiver
from tests.support.workspace import Actor, Workspace
from tripl_core.alerting.fanout import fan_out
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings

pytestmark = pytest.mark.engine_independent

READS = expect(200, anonymous=401, bound_key=404)
EDITS = expect(200, anonymous=401, viewer=403, read_key=403, bound_key=404)
CREATES = {c: 201 if s == 200 else s for c, s in EDITS.items()}
DELETES = {c: 204 if s == 200 else s for c, s in EDITS.items()}
D, R = P + "/alert-destinations/{destination_id}", P + "/alert-destinations/{destination_id}/rules/{rule_id}"
CASES: dict[str, tuple[str, str, dict[str, int], Any]] = {
    "list_alert_destinations": ("GET", P + "/alert-destinations", READS, None),
    "create_alert_destination": ("POST", P + "/alert-destinations", CREATES,
                                 {"type": "slack", "name": "{fresh}", "webhook_url": "{url}/s"}),
    "get_monitors_summary": ("GET", P + "/monitors-summary", READS, None),
    "get_alert_destination": ("GET", D, READS, None),
    "update_alert_destination": ("PATCH", D, EDITS, {"enabled": True}),
    "delete_alert_destination": ("DELETE", P + "/alert-destinations/{spare_destination_id}", DELETES, None),
    "test_alert_destination": ("POST", D + "/test", EDITS, None),
    "create_alert_rule": ("POST", D + "/rules", CREATES, {"name": "r"}),
    "update_alert_rule": ("PATCH", R, EDITS, {"cooldown_minutes": 60}),
    "delete_alert_rule": ("DELETE", D + "/rules/{spare_rule_id}", DELETES, None),
    "simulate_alert_rule": ("POST", R + "/simulate", READS, None),
    "list_alert_deliveries": ("GET", P + "/alert-deliveries", READS, None),
    "get_alert_delivery": ("GET", P + "/alert-deliveries/{delivery_id}", READS, None),
    "retry_alert_delivery": ("POST", P + "/alert-deliveries/{failed_delivery_id}/retry", EDITS, None),
    "get_monitor": ("GET", P + "/monitors/{rule_id}", READS, None),
    "mute_monitor": ("POST", P + "/monitors/{rule_id}/mute", EDITS, {"muted_until": "2999-01-01T00:00:00Z"}),
    "unmute_monitor": ("POST", P + "/monitors/{rule_id}/unmute", EDITS, None),
    "list_alert_inbox": ("GET", P + "/alert-inbox", READS, None),
    "apply_alert_inbox_action": ("POST", P + "/alert-inbox/{group_id}/actions", EDITS, {"action": "acknowledge"}),
}


def test_matrix_covers_every_alerting_route(ws: Workspace) -> None:
    served = {op["summary"].lower().replace(" ", "_")
              for item in ws.client.app.openapi()["paths"].values()  # type: ignore[attr-defined]
              for op in item.values() if "alerting" in op.get("tags", [])}
    assert served == set(CASES)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_alerting_permission_matrix(ws: Workspace, settings: Settings) -> None:
    actors: dict[str, Actor] = callers(ws)
    s = seed(ws, create_project=False)
    clock = Clock(utcnow())
    add_signal(ws.db, s, bucket=clock.now.replace(minute=0, second=0, microsecond=0))
    failures = []
    with http_receiver(decide=lambda r: "500" if r.path == "/failing" else "ok") as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/failing"})
        made = rule(ws, dest["id"], cooldown_minutes=1)
        [failed] = fan_out(ws.db, s.scan_id, sender(settings, clock)).deliveries
        group = ws.owner.get(P + "/alert-inbox").json()["items"][0]["correlation_group_id"]
        ids = {"url": receiver.url, "destination_id": dest["id"], "rule_id": made["id"], "delivery_id": str(failed),
               "group_id": group}
        for name, (method, path, expected, body) in CASES.items():
            for caller in CALLERS:
                ids["fresh"] = f"{name}-{caller}"
                if "spare" in path:
                    ids["spare_destination_id"] = destination(ws, {"type": "slack", "webhook_url": receiver.url})["id"]
                    ids["spare_rule_id"] = rule(ws, dest["id"], name="spare")["id"]
                if "failed_delivery_id" in path:
                    ids["failed_delivery_id"] = _failed(ws, s, settings, clock)
                response = actors[caller].request(method, path.format(**ids), json=_fill(body, ids))
                if response.status_code != expected[caller]:
                    failures.append(f"{name} {caller}: expected {expected[caller]}, got {response.status_code} "
                                    f"{response.text[:200]}")
    assert not failures, "\n".join(failures)


def _failed(ws: Workspace, s: Any, settings: Settings, clock: Clock) -> str:
    """A delivery that failed (its receiver answers 500), so Retry has something to retry."""
    clock.advance(timedelta(days=1))  # past any cooldown the matrix set on the rule
    add_signal(ws.db, s, bucket=clock.now.replace(microsecond=0) - timedelta(minutes=1))
    made = fan_out(ws.db, s.scan_id, sender(settings, clock)).deliveries
    assert made
    return str(made[0])
