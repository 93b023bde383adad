"""Alert fan-out: after the signals and drifts of a scan config partition, its run's window is matched to
every live alert rule of the project and the deliveries are sent (tripl_core.alerting does the work)."""

import uuid

from dagster import AssetExecutionContext, DagsterError, MaterializeResult, asset

from tripl_core.alerting.candidates import Collection
from tripl_core.alerting.fanout import fan_out
from tripl_core.scans.launching import job_id_from_tags
from tripl_pipelines.config import MetricsWindow
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AlertOutbound, AppDatabase, AppSecrets


@asset(
    partitions_def=scan_configs,
    deps=["anomaly_signals", "distribution_drifts", "release_regressions"],
    group_name="alerts",
    description="Matches the scan config's active signals and drifts (and, after a collection reaching further "
                "back, like a config's first, those of its last 7 days) to every live alert rule of its project, "
                "keeps correlation groups, writes deliveries with their exact payloads and sends them.",
)
def alert_fanout(context: AssetExecutionContext, config: MetricsWindow, app_db: AppDatabase, app_secrets: AppSecrets,
                 alert_outbound: AlertOutbound) -> MaterializeResult:
    window = config.resolve(app_db.database, uuid.UUID(context.partition_key))
    result = fan_out(app_db.database, window.scan_config_id, alert_outbound.sender(app_secrets, app_db),
                     scan_job_id=_scan_job_id(context), collection=Collection(window.time_from, window.time_to))
    return MaterializeResult(metadata={**window.metadata(), **result.summary()})


def _scan_job_id(context: AssetExecutionContext) -> uuid.UUID | None:
    """The job row of the run (None when the asset is invoked outside a run, e.g. directly in a test)."""
    try:
        tags = context.run.tags
    except DagsterError:  # a directly invoked asset has no run
        return None
    return job_id_from_tags(dict(tags))
