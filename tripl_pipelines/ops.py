"""Ops of the jobs that are work rather than assets: a plan change (event groups), audit retention and the
resend of failed alert deliveries (requested by `sensors.alert_delivery_retries`, so each resend batch is a
run with its own logs and outcome in the run history)."""

from dagster import OpExecutionContext, op

from tripl_core.access import audit
from tripl_core.alerting import deliveries
from tripl_core.jobs.models import JobKind
from tripl_core.scans.groups import apply_event_groups
from tripl_core.settings import Settings
from tripl_pipelines import job_rows
from tripl_pipelines.config import DeliveryRetries, RetentionConfig
from tripl_pipelines.resources import AlertOutbound, AppDatabase, AppSecrets


@op(description="Folds the events a scan config's event group rules cover into the rules' events.")
def fold_event_groups(context: OpExecutionContext, app_db: AppDatabase) -> None:
    db = app_db.database
    run = job_rows.start(context, db, JobKind.apply_groups)
    if run is None:
        return
    with job_rows.outcome(db, run) as succeed:
        summary = apply_event_groups(db, run.scan_config_id)
        context.log.info(f"{summary['events_folded']} events folded, {summary['events_created']} rule events created")
        succeed(dict(summary))


@op(description="Deletes audit entries older than the retention, in batches.")
def prune_audit_entries(context: OpExecutionContext, config: RetentionConfig, app_db: AppDatabase) -> int:
    days = config.retention_days or Settings().audit_retention_days
    if days is None:
        context.log.info("TRIPL_AUDIT_RETENTION_DAYS is not set: the audit log is kept in full")
        return 0
    deleted = audit.prune(app_db.database, days)
    context.log.info(f"Deleted {deleted} audit entries older than {days} days")
    context.add_output_metadata({"deleted": deleted, "retention_days": days})
    return deleted


@op(description="Resends failed alert deliveries whose backoff has passed (bounded attempts), and pending ones "
                "whose fan-out stopped before sending them.")
def resend_due_deliveries(context: OpExecutionContext, config: DeliveryRetries, app_db: AppDatabase,
                          app_secrets: AppSecrets, alert_outbound: AlertOutbound) -> None:
    sender = alert_outbound.sender(app_secrets, app_db)
    due = deliveries.due_for_retry(app_db.database, sender.clock(), limit=config.limit)
    outcomes = deliveries.send_all(app_db.database, due, sender)
    context.log.info(f"{len(due)} deliveries due: {outcomes or 'none'}")
    context.add_output_metadata({"due": len(due), **outcomes})
