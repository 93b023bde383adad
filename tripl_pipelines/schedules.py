"""Schedules: the daily audit retention and the daily orphan sweep of photo storage."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from tripl_pipelines.jobs import prune_audit_log, sweep_photo_files_job

audit_retention_schedule = ScheduleDefinition(
    job=prune_audit_log, cron_schedule="17 3 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING, description="Daily audit log retention (03:17 UTC).")
daily_photo_sweep = ScheduleDefinition(
    name="daily_photo_sweep", job=sweep_photo_files_job, cron_schedule="30 3 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING, description="The orphan sweep of photo storage, once a day.")

SCHEDULES = [audit_retention_schedule, daily_photo_sweep]
