"""Alert fan-out on Dagster: an asset after the signals and drifts of each scan config partition, and a
sensor that retries failed deliveries once their backoff has passed (tripl_core.alerting does the work)."""

import uuid
from dataclasses import replace

from dagster import (
    AssetExecutionContext,
    AssetIn,
    ConfigurableResource,
    DefaultSensorStatus,
    MaterializeResult,
    SensorEvaluationContext,
    SkipReason,
    asset,
    sensor,
)
from dagster._core.errors import DagsterInvalidPropertyError

from tripl_core.alerting import channel_settings, deliveries
from tripl_core.alerting.candidates import Collection
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.sending import ChannelPolicy
from tripl_core.scans.launching import job_id_from_tags
from tripl_core.settings import Settings
from tripl_pipelines.assets.metrics import CollectedWindow
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets

RETRY_BATCH = 200


class AlertOutbound(ConfigurableResource):
    """The outbound policy of alert channels, from the TRIPL_* settings; `allow_private_webhooks` here
    overrides TRIPL_ALLOW_PRIVATE_WEBHOOKS (tests pointing at 127.0.0.1 receivers set it)."""

    allow_private_webhooks: bool | None = None

    def sender(self, secrets: AppSecrets, app_db: AppDatabase) -> Sender:
        # SMTP comes from the service settings as saved now (no restart of Dagster needed).
        policy = channel_settings.channel_policy(ChannelPolicy.from_settings(Settings()),
                                                 app_db.settings_store.current())
        if self.allow_private_webhooks is not None:
            policy = replace(policy, outbound=replace(policy.outbound, allow_private=self.allow_private_webhooks))
        return Sender(box=secrets.box, policy=policy)


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    deps=["anomaly_signals", "distribution_drifts", "release_regressions"],
    group_name="alerts",
    description="Matches the scan config's active signals and drifts (and, after a collection reaching further "
                "back, like a config's first, those of its last 7 days) to every live alert rule of its project, "
                "keeps correlation groups, writes deliveries with their exact payloads and sends them.",
)
def alert_fanout(context: AssetExecutionContext, app_db: AppDatabase, app_secrets: AppSecrets,
                 alert_outbound: AlertOutbound, window: CollectedWindow) -> MaterializeResult:
    result = fan_out(app_db.database, uuid.UUID(context.partition_key), alert_outbound.sender(app_secrets, app_db),
                     scan_job_id=_scan_job_id(context), collection=Collection(window.time_from, window.time_to))
    return MaterializeResult(metadata={**window.metadata(), **result.summary()})


def _scan_job_id(context: AssetExecutionContext) -> uuid.UUID | None:
    """The job row of the run (None when the asset is invoked outside a run, e.g. directly in a test)."""
    try:
        tags = context.run.tags
    except DagsterInvalidPropertyError:
        return None
    return job_id_from_tags(dict(tags))


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Resends failed alert deliveries whose backoff has passed (bounded attempts), and pending "
                    "ones whose fan-out stopped before sending them.")
def alert_delivery_retries(_context: SensorEvaluationContext, app_db: AppDatabase, app_secrets: AppSecrets,
                           alert_outbound: AlertOutbound) -> SkipReason:
    sender = alert_outbound.sender(app_secrets, app_db)
    due = deliveries.due_for_retry(app_db.database, sender.clock(), limit=RETRY_BATCH)
    outcomes = deliveries.send_all(app_db.database, due, sender)
    return SkipReason(f"{len(due)} deliveries due: {outcomes or 'none'}")
