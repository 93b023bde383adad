"""A sender killed mid-batch (SIGKILL to a real child process sending to a receiver in another process):
every delivery ends up either recorded sent by it, or retried later by the sensor's path once its claim
expired; none is lost, and a key reaches the receiver twice only for a delivery the killed sender had
sent but not yet recorded (the Idempotency-Key contract: the repeat carries the same key)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.alerting.conftest import TIMEOUT
from tests.alerting.support import Clock, add_signal, destination, rule, seed, sender
from tests.conftest import TEST_SECRET
from tests.support.receiver_process import ROOT, child_env, receiver_process
from tests.support.workspace import Workspace
from tripl_core.alerting import deliveries
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.models import AlertDelivery
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings

DESTINATIONS = 3
RULES_PER_DESTINATION = 10  # x 30 signals = 2 deliveries per rule (25 + 5 items): 60 deliveries
KILL_AFTER = 20  # accepted requests before the kill


def _states(ws: Workspace, made: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, bool]]:
    with ws.db.unit_of_work() as session:
        return {row.id: (row.status, row.claim_token is not None) for row in session.execute(
            select(AlertDelivery.id, AlertDelivery.status, AlertDelivery.claim_token)
            .where(AlertDelivery.id.in_(made)))}


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_only_unrecorded_sends(
        ws: Workspace, settings: Settings, tmp_path: Path) -> None:
    s = seed(ws)
    for minutes in range(30):
        add_signal(ws.db, s, bucket=Clock().now - timedelta(minutes=minutes))
    with receiver_process(delay=0.2) as receiver:
        for d in range(DESTINATIONS):
            dest = destination(ws, {"type": "webhook", "target_url": f"{receiver.url}/d{d}"})
            for r in range(RULES_PER_DESTINATION):
                rule(ws, dest["id"], name=f"rule {d}.{r}")
        made = fan_out(ws.db, s.scan_id, sender(settings, Clock()), send=False).deliveries
        assert len(made) == DESTINATIONS * RULES_PER_DESTINATION * 2

        args = {"database_url": settings.database_url, "state_dir": str(tmp_path / "child"),
                "secret_key": TEST_SECRET, "timeout": TIMEOUT, "delivery_ids": [str(d) for d in made]}
        child = subprocess.Popen([sys.executable, "-m", "tests.alerting.sender_child", json.dumps(args)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True, env=child_env())
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            while len(receiver.stats()["accepted"]) < KILL_AFTER:
                assert child.poll() is None, "the sender finished before it could be killed"
                time.sleep(0.01)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

        at_kill = _states(ws, made)
        recorded = {d for d, (status, _claimed) in at_kill.items() if status == "sent"}
        in_doubt = {d for d, (status, claimed) in at_kill.items() if status == "pending" and claimed}
        untouched = {d for d, (status, claimed) in at_kill.items() if status == "pending" and not claimed}
        assert recorded | in_doubt | untouched == set(made)  # a healthy receiver: nothing failed
        assert in_doubt | untouched, "killed after the last record: not mid-batch"

        # the sensor's path once the dead sender's claims expired: everything not recorded is due again
        later = Clock(utcnow() + deliveries.CLAIM_TTL + deliveries.PENDING_GRACE)
        due = deliveries.due_for_retry(ws.db, later.now, limit=1000)
        assert set(due) == in_doubt | untouched
        outcome = deliveries.send_all(ws.db, due, sender(settings, later))
        assert outcome == {"sent": len(due)}
        time.sleep(0.5)  # requests the killed sender left in flight finish at the receiver
        accepted: dict[str, int] = receiver.stats()["accepted"]

    assert {status for status, _claimed in _states(ws, made).values()} == {"sent"}
    assert set(accepted) == {str(d) for d in made}  # none lost
    for delivery_id in recorded:
        assert accepted[str(delivery_id)] == 1  # recorded sent: never sent again
    repeated = {uuid.UUID(key) for key, times in accepted.items() if times > 1}
    assert repeated <= in_doubt  # a repeat only where the send happened and its record did not
    assert all(times <= 2 for times in accepted.values())
