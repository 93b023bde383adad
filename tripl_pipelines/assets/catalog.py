"""The catalog scan of one scan config (partition): plan discovery, variables, schema drift, shadow
events and field contracts, all done by `tripl_core.scans.catalog_scan.run_catalog_scan`; this asset tracks
the job row and tells Dagster what the run found."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, MaterializeResult, asset

from tripl_core.jobs.models import JobKind
from tripl_pipelines import checks, job_rows
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets


@asset(
    partitions_def=scan_configs,
    output_required=False,
    group_name="plan",
    check_specs=checks.CATALOG_CHECKS,
    description="Reads the scan config's base query (aggregates in the warehouse) into the plan: event types, "
                "events, fields, variables, schema drift, shadow events, last_seen_at and live promotion.",
)
def catalog(context: AssetExecutionContext, app_db: AppDatabase,
            app_secrets: AppSecrets) -> Iterator[MaterializeResult]:
    from tripl_core.scans.catalog_scan import (
        run_catalog_scan,  # heavy (warehouse readers); imported only when a scan runs
    )

    db = app_db.database
    run = job_rows.start(context.op_execution_context, db, JobKind.scan)
    if run is None:
        return
    result = None
    with job_rows.outcome(db, run) as succeed:
        result = run_catalog_scan(db, run.scan_config_id, run.job_id, secrets=app_secrets.box,
                                  cancel_requested=run.cancel_requested)
        succeed(dict(result.summary))
    if result is None:  # cancelled
        return
    yield MaterializeResult(metadata=dict(result.summary), check_results=[checks.contracts(result.contract_checks)])

