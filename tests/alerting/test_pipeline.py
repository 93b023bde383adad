"""The alert fan-out on Dagster: the asset after the signals sends a partition's deliveries (metadata
tells what it did); the retry sensor requests an `alert_delivery_retry` run once a failed delivery's
backoff has passed, and that run (not the sensor) resends it."""

from __future__ import annotations

from datetime import timedelta

from dagster import DagsterInstance, RunRequest, SkipReason, build_asset_context, build_sensor_context

from tests.alerting.support import add_signal, destination, rule, seed
from tests.support.receivers import http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting import deliveries
from tripl_core.alerting.models import AlertDelivery
from tripl_core.db.base import utcnow
from tripl_core.settings import Settings
from tripl_pipelines.assets.alerts import alert_fanout
from tripl_pipelines.config import MetricsWindow
from tripl_pipelines.definitions import build_definitions
from tripl_pipelines.jobs import RETRY_JOB
from tripl_pipelines.resources import AlertOutbound, AppDatabase, AppSecrets
from tripl_pipelines.sensors import alert_delivery_retries


def test_fanout_asset_then_retry_sensor_requests_a_run_that_resends(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    now = utcnow()
    add_signal(ws.db, s, bucket=now - timedelta(hours=1))
    app_db = AppDatabase(database_url=settings.resolved_database_url)
    app_secrets = AppSecrets(secret_key=settings.resolved_secret_key)
    outbound = AlertOutbound(allow_private_webhooks=True)
    resources = {"app_db": app_db, "app_secrets": app_secrets, "alert_outbound": outbound}
    instance = DagsterInstance.ephemeral()

    def evaluate() -> RunRequest | SkipReason:
        with build_sensor_context(instance=instance, resources={"app_db": app_db}) as context:
            return alert_delivery_retries(context)  # type: ignore[no-any-return]

    with http_receiver(faults=["500"]) as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        rule(ws, dest["id"])
        window = MetricsWindow(time_from=(now - timedelta(hours=2)).isoformat(), time_to=now.isoformat())
        with build_asset_context(partition_key=str(s.scan_id), resources=resources) as context:
            result = alert_fanout(context, config=window)
        assert result.metadata["deliveries_created"] == 1
        assert result.metadata["deliveries_failed"] == 1
        not_due = evaluate()
        assert isinstance(not_due, SkipReason)
        assert "0 deliveries due" in str(not_due.skip_message)
        with ws.db.unit_of_work() as session:
            delivery = session.query(AlertDelivery).one()
            delivery.next_attempt_at = utcnow() - timedelta(seconds=1)  # its backoff has passed
        request = evaluate()
        assert isinstance(request, RunRequest)  # the sensor only asks; nothing was sent by it
        assert len(receiver.delivered) == 0
        with ws.db.unit_of_work() as session:
            assert session.query(AlertDelivery).one().attempts == 1
        job = build_definitions(app_db, app_secrets, outbound).resolve_job_def(RETRY_JOB)
        ran = job.execute_in_process(instance=instance, run_config=request.run_config, tags=request.tags)
        assert ran.success
        [step] = [event for event in ran.all_events if event.event_type_value == "STEP_OUTPUT"]
        assert step.step_key == "resend_due_deliveries"
    with ws.db.unit_of_work() as session:
        sent = session.query(AlertDelivery).one()
    assert sent.status == "sent"
    assert sent.attempts == 2
    assert len(receiver.delivered) == 1
    assert deliveries.due_for_retry(ws.db, utcnow() + timedelta(days=1)) == []
    assert isinstance(evaluate(), SkipReason)  # nothing left to resend
