"""The alert fan-out on Dagster: the asset after the signals sends a partition's deliveries (metadata
tells what it did), and the retry sensor resends failed ones once their backoff has passed."""

from __future__ import annotations

from datetime import timedelta

from dagster import DagsterInstance, SkipReason, build_asset_context, build_sensor_context

from tests.alerting.support import add_signal, destination, rule, seed
from tests.support.receivers import http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting import deliveries
from tripl_core.alerting.models import AlertDelivery
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings
from tripl_pipelines.alerting import AlertOutbound, alert_delivery_retries, alert_fanout
from tripl_pipelines.assets.metrics import CollectedWindow
from tripl_pipelines.resources import AppDatabase, AppSecrets


def test_fanout_asset_then_retry_sensor(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    now = utcnow()
    add_signal(ws.db, s, bucket=now - timedelta(hours=1))
    resources = {"app_db": AppDatabase(database_url=settings.resolved_database_url),
                 "app_secrets": AppSecrets(secret_key=settings.resolved_secret_key),
                 "alert_outbound": AlertOutbound(allow_private_webhooks=True)}
    with http_receiver(faults=["500"]) as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        rule(ws, dest["id"])
        window = CollectedWindow(str(s.scan_id), now - timedelta(hours=2), now)
        context = build_asset_context(partition_key=str(s.scan_id), resources=resources)
        result = alert_fanout(context, window=window)
        assert result.metadata["deliveries_created"] == 1
        assert result.metadata["deliveries_failed"] == 1
        sensor_context = build_sensor_context(instance=DagsterInstance.ephemeral(), resources=resources)
        not_due = alert_delivery_retries(sensor_context)
        assert isinstance(not_due, SkipReason)
        assert "0 deliveries due" in str(not_due.skip_message)
        with ws.db.unit_of_work() as session:
            delivery = session.query(AlertDelivery).one()
            delivery.next_attempt_at = utcnow() - timedelta(seconds=1)  # its backoff has passed
        retried = alert_delivery_retries(sensor_context)
        assert "1 deliveries due" in str(retried.skip_message)
    with ws.db.unit_of_work() as session:
        sent = session.query(AlertDelivery).one()
    assert sent.status == "sent"
    assert sent.attempts == 2
    assert len(receiver.delivered) == 1
    assert deliveries.due_for_retry(ws.db, utcnow() + timedelta(days=1)) == []
