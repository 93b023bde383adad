"""Faults: a receiver answering 500, timing out or dropping the connection. Deliveries are retried with
backoff (an injected clock, nothing sleeps), sent once and never twice; after the last automatic attempt
they stay failed until someone retries them. The outbound guard refuses private targets by default."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest

from tests.alerting.support import Clock, P, add_signal, destination, rule, seed, sender
from tests.support.receivers import http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting import deliveries
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.models import AlertDelivery
from tripl_core.alerting.sending import ChannelPolicy, DeliveryFailed, post
from tripl_core.outbound import OutboundPolicy
from tripl_core.settings import Settings


def _delivery(ws: Workspace, delivery_id: uuid.UUID) -> AlertDelivery:
    with ws.db.unit_of_work() as session:
        found = session.get(AlertDelivery, delivery_id)
        assert found is not None
        return found


@pytest.mark.parametrize("fault", ["500", "timeout", "drop"])
def test_transient_faults_are_retried_with_backoff_then_sent_once(ws: Workspace, settings: Settings,
                                                                   fault: str) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    clock = Clock()
    with http_receiver(faults=[fault, fault], hang_seconds=6.0) as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        rule(ws, dest["id"])
        send = sender(settings, clock)
        # The two failing attempts of a hang give up sooner: the receiver hangs 6 s whatever the load, so
        # half a second still times out every time, and the healthy third attempt keeps the usual timeout.
        failing = sender(settings.model_copy(update={"alert_http_timeout_seconds": 0.5}), clock) \
            if fault == "timeout" else send
        [delivery_id] = fan_out(ws.db, s.scan_id, failing).deliveries
        first = _delivery(ws, delivery_id)
        assert first.status == "failed"
        assert first.attempts == 1
        assert first.next_attempt_at == clock.now + deliveries.backoff(1)
        assert deliveries.due_for_retry(ws.db, clock.now) == []  # not before its backoff
        clock.advance(deliveries.backoff(1))
        assert deliveries.send_all(ws.db, deliveries.due_for_retry(ws.db, clock.now), failing) == {"failed": 1}
        second = _delivery(ws, delivery_id)
        assert second.next_attempt_at == clock.now + deliveries.backoff(2)
        assert deliveries.backoff(2) == 2 * deliveries.backoff(1)
        clock.advance(deliveries.backoff(2))
        assert deliveries.send_all(ws.db, deliveries.due_for_retry(ws.db, clock.now), send) == {"sent": 1}
        clock.advance(deliveries.BACKOFF_CAP)
        assert deliveries.due_for_retry(ws.db, clock.now) == []
        assert deliveries.attempt(ws.db, delivery_id, send) is None  # a sent delivery is never claimed again
    sent = _delivery(ws, delivery_id)
    assert sent.status == "sent"
    assert sent.attempts == 3
    assert sent.sent_at == clock.now - deliveries.BACKOFF_CAP
    assert len(receiver.delivered) == 1
    assert {r.headers["idempotency-key"] for r in receiver.requests} == {str(delivery_id)}
    assert receiver.accepted_keys == {str(delivery_id): 1}


def test_after_max_attempts_failed_until_retried_by_hand(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    clock = Clock()
    with http_receiver(faults=["500"] * deliveries.MAX_ATTEMPTS) as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        rule(ws, dest["id"])
        send = sender(settings, clock)
        [delivery_id] = fan_out(ws.db, s.scan_id, send).deliveries
        for attempt in range(1, deliveries.MAX_ATTEMPTS):
            clock.advance(deliveries.backoff(attempt))
            deliveries.send_all(ws.db, deliveries.due_for_retry(ws.db, clock.now), send)
        failed = _delivery(ws, delivery_id)
        assert failed.attempts == deliveries.MAX_ATTEMPTS
        assert failed.status == "failed"
        assert failed.next_attempt_at is None
        assert "500" in (failed.error_message or "")
        clock.advance(deliveries.BACKOFF_CAP * 10)
        assert deliveries.due_for_retry(ws.db, clock.now) == []
        listed = ws.viewer.get(P + "/alert-deliveries", params={"status": "failed"}).json()
        assert [d["id"] for d in listed["items"]] == [str(delivery_id)]
        retried = ws.editor.post(P + f"/alert-deliveries/{delivery_id}/retry")
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "sent"
        assert ws.editor.post(P + f"/alert-deliveries/{delivery_id}/retry").status_code == 409
    assert len(receiver.requests) == deliveries.MAX_ATTEMPTS + 1
    assert len(receiver.delivered) == 1


def test_concurrent_senders_send_a_delivery_once(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    with http_receiver() as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        rule(ws, dest["id"])
        send = sender(settings, Clock())
        [delivery_id] = fan_out(ws.db, s.scan_id, send, send=False).deliveries
        outcomes: list[str | None] = []
        threads = [threading.Thread(target=lambda: outcomes.append(deliveries.attempt(ws.db, delivery_id, send)))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outcomes.count("sent") == 1
    assert outcomes.count(None) == 5
    assert len(receiver.requests) == 1


def test_concurrent_batch_senders_send_each_delivery_once(ws: Workspace, settings: Settings) -> None:
    """`send_all` claims deliveries a batch at a time: three senders working through the same deliveries (one
    in reverse order, with batches smaller than the list) send each of them once, the others skip it."""
    s = seed(ws)
    for minutes in range(30):
        add_signal(ws.db, s, event="view" if minutes % 2 else "click", bucket=Clock().now - timedelta(minutes=minutes))
    with http_receiver() as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        for index in range(4):
            rule(ws, dest["id"], name=f"rule {index}")
        send = sender(settings, Clock())
        made = fan_out(ws.db, s.scan_id, send, send=False).deliveries
        assert len(made) == 8  # 4 rules x (25 + 5 items)
        outcomes: list[dict[str, int]] = []
        orders = [made, made[::-1], made[3:] + made[:3]]
        original, deliveries.CLAIM_BATCH = deliveries.CLAIM_BATCH, 3
        try:
            threads = [threading.Thread(target=lambda ids=ids: outcomes.append(deliveries.send_all(ws.db, ids, send)))
                       for ids in orders]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            deliveries.CLAIM_BATCH = original
    assert sum(outcome.get("sent", 0) for outcome in outcomes) == 8
    assert sum(outcome.get("skipped", 0) for outcome in outcomes) == 16
    assert sorted(receiver.accepted_keys) == sorted(str(d) for d in made)
    assert set(receiver.accepted_keys.values()) == {1}
    assert {_delivery(ws, d).status for d in made} == {"sent"}


class _SlowBatch(Clock):
    """Half the claim's lifetime passes between claiming a delivery and its turn to be sent."""

    def __call__(self) -> datetime:
        now = self.now
        self.now += deliveries.CLAIM_TTL / 2
        return now


def test_a_claim_that_waited_too_long_in_its_batch_is_handed_back(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    add_signal(ws.db, s)
    with http_receiver() as receiver:
        rule(ws, destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})["id"])
        [delivery_id] = fan_out(ws.db, s.scan_id, sender(settings, Clock()), send=False).deliveries
        assert deliveries.send_all(ws.db, [delivery_id], sender(settings, _SlowBatch())) == {"skipped": 1}
        assert receiver.requests == []
        handed_back = _delivery(ws, delivery_id)
        assert (handed_back.status, handed_back.attempts, handed_back.claim_token) == ("pending", 0, None)
        assert deliveries.send_all(ws.db, [delivery_id], sender(settings, Clock())) == {"sent": 1}
    assert len(receiver.delivered) == 1


def test_private_and_loopback_targets_are_refused_by_default() -> None:
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/x", "https://192.168.0.1/x",
                "https://169.254.169.254/latest", "https://[::1]/x"):
        with pytest.raises(DeliveryFailed, match="not a public address") as refused:
            post(ChannelPolicy(), url, json={})
        assert refused.value.transient is False
    with pytest.raises(DeliveryFailed, match="https"):
        post(ChannelPolicy(), "http://hooks.example.com/x", json={})


def test_redirects_are_checked_on_every_hop(ws: Workspace) -> None:
    local = ChannelPolicy(outbound=OutboundPolicy(allowed_hosts=("127.0.0.1",)))
    with http_receiver() as target, http_receiver(faults=[f"redirect:{target.url}/final"] * 2) as hop:
        with pytest.raises(DeliveryFailed, match="not a public address"):
            post(ChannelPolicy(), hop.url.replace("http:", "https:") + "/start", json={})
        assert hop.requests == []  # refused before connecting
        post(local, hop.url + "/start", json={"a": 1})
        assert [r.path for r in target.requests] == ["/final"]
        assert target.requests[0].json() == {"a": 1}


def test_redirect_to_a_private_address_is_refused() -> None:
    # Only the receiver's own port is allowed, as a stand-in for a public host; the redirect to
    # 10.0.0.5 is checked for real and refused before any connection.
    policy = ChannelPolicy(outbound=OutboundPolicy(allowed_hosts=("127.0.0.1",)))
    with http_receiver(faults=["redirect:https://10.0.0.5/internal"]) as hop, \
            pytest.raises(DeliveryFailed, match=r"10\.0\.0\.5 is not a public address"):
        post(policy, hop.url + "/start", json={})
    assert [r.path for r in hop.requests] == ["/start"]
