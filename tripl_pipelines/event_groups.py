"""Apply Scan Event Groups as a Dagster job per scan config partition (a plan change, not an asset)."""

from dagster import OpExecutionContext, job, op

from tripl_core.jobs.models import JobKind
from tripl_core.scans.groups import apply_event_groups
from tripl_core.scans.launching import DAGSTER_JOBS
from tripl_pipelines import job_rows
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase
from tripl_pipelines.run_logs import QUIET_RUN_CONFIG


@op
def fold_event_groups(context: OpExecutionContext, app_db: AppDatabase) -> None:
    db = app_db.database
    run = job_rows.start(context, db, JobKind.apply_groups)
    if run is None:
        return
    with job_rows.outcome(db, run) as succeed:
        summary = apply_event_groups(db, run.scan_config_id)
        context.log.info(f"{summary['events_folded']} events folded, {summary['events_created']} rule events created")
        succeed(dict(summary))


@job(name=DAGSTER_JOBS[JobKind.apply_groups.value], partitions_def=scan_configs, config=QUIET_RUN_CONFIG,
     description="Fold existing events that a scan config's event group rules cover into the rules' events.")
def apply_event_groups_job() -> None:
    fold_event_groups()
