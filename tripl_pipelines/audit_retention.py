"""Audit log retention: a daily schedule runs `prune_audit_log`, which deletes entries older than
TRIPL_AUDIT_RETENTION_DAYS (a run's config may override it; unset keeps everything)."""

from dagster import Config, DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op
from pydantic import Field

from tripl_core.access import audit
from tripl_core.settings import Settings
from tripl_pipelines.resources import AppDatabase


class RetentionConfig(Config):
    retention_days: int | None = Field(default=None, ge=1, description="Overrides TRIPL_AUDIT_RETENTION_DAYS")


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


@job(description="Audit log retention: entries older than TRIPL_AUDIT_RETENTION_DAYS are deleted.")
def prune_audit_log() -> None:
    prune_audit_entries()


audit_retention_schedule = ScheduleDefinition(
    job=prune_audit_log, cron_schedule="17 3 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING, description="Daily audit log retention (03:17 UTC).")
