"""Metrics assets per scan config partition, downstream of the catalog: event metrics (counts per bucket of
every scope, breakdowns, app versions) → anomaly signals and forecasts, distribution drifts, release
regressions. Thin wrappers over `tripl_core.metrics`; each service writes its bucket range atomically
and re-running a window replaces it.

The window is each asset's `MetricsWindow` run config (tripl_pipelines/config.py): every step of a run gets
the same one, and an asset materialised alone uses its own (empty: the latest completed interval) — never
a window stored by an earlier run. A catalog-only config (no interval) collects nothing, and the
downstream assets of the run are then skipped.

Each run has a job row: a scheduled collection makes its own (`tripl_core.jobs.metrics_runs`); a retry or a
replay launched from the API brings it (`tripl/job_id` tag). A replay's chunks are recorded on its row as
they finish and it is cancellable between them; the run's end (the launcher, or the run status sensors
on Dagster) ends the row once every step has added its figures.

The collector and the detector are imported by the assets that run them: they load pandas and scipy (~0.5-0.8 s
of CPU and ~80 MB per process), which every process loading these definitions would otherwise pay — the code
server and each catalog scan or search index run included."""


import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset
from sqlalchemy import func, select

from tripl_core.db.engine import Database
from tripl_core.jobs import lifecycle, metrics_runs
from tripl_core.jobs.models import JobKind
from tripl_core.metrics import lateness, store
from tripl_core.metrics.collect import MetricsCancelled
from tripl_core.metrics.distribution_drifts import collect_drifts
from tripl_core.metrics.models import AnomalySignal, AppVersionDay, MetricWindow
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.launching import KIND_TAG, job_id_from_tags
from tripl_pipelines import checks, job_rows
from tripl_pipelines.config import MetricsWindow, Window
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets

# A first collection or a catch-up after downtime reads many buckets: in chunks of at least a day (each
# written atomically), not one query per bucket. A replay keeps its config's replay chunks.
CATCH_UP_CHUNK = timedelta(days=1)
GROUP = "metrics"


@asset(
    partitions_def=scan_configs,
    deps=["catalog"],
    output_required=False,
    group_name=GROUP,
    check_specs=checks.EVENT_METRICS_CHECKS,
    description="Counts per bucket of every scope (project total, event types, events), breakdowns with "
                "top N + Other and app-version series over the run's window, counted in the warehouse.",
)
def event_metrics(context: AssetExecutionContext, config: MetricsWindow, app_db: AppDatabase,
                  app_secrets: AppSecrets) -> Iterator[MaterializeResult | AssetCheckResult]:
    db, config_id = app_db.database, uuid.UUID(context.partition_key)
    if not _collects_metrics(db, config_id):
        context.log.info("Catalog-only scan config (no interval): no metrics to collect")
        yield from checks.not_collected("catalog-only scan config")
        return
    window = config.resolve(db, config_id)
    tags = context.run.tags
    launched = job_id_from_tags(dict(tags))
    job_id = metrics_runs.begin(db, config_id, context.run.run_id, launched, window.time_from, window.time_to)
    if launched is not None and job_id is None:
        context.log.info(f"job {launched} was cancelled or already ran: nothing collected")
        yield from checks.not_collected("the job was cancelled before the run started")
        return
    replaying = tags.get(KIND_TAG) == JobKind.replay.value
    from tripl_core.metrics.replay import collect_chunks

    try:
        summary = collect_chunks(db, config_id, window.time_from, window.time_to, secrets=app_secrets.box,
                                 with_drifts=False, min_chunk=None if replaying else CATCH_UP_CHUNK,
                                 cancel_requested=_cancel_check(db, job_id),
                                 on_chunk=_progress(db, job_id) if replaying else lambda summary: None)
    except MetricsCancelled as cancelled:
        if job_id is not None:
            lifecycle.cancel_run(db, job_id, str(cancelled))
        context.log.info(f"cancelled: {cancelled}")
        yield from checks.not_collected("cancelled")
        return
    except Exception as error:
        if job_id is not None:
            metrics_runs.fail(db, job_id, _message(error))
        raise
    if job_id is not None and not replaying:
        metrics_runs.succeed(db, job_id, dict(summary))
    with app_db.unit_of_work() as session:
        stored_end = session.scalar(select(func.max(MetricWindow.time_to))
                                    .where(MetricWindow.scan_config_id == config_id))
    yield MaterializeResult(
        metadata={**window.metadata(), **_names(db, config_id), "chunks": summary["chunks"],
                  "rows_read": summary["rows_read"], "points_written": summary["metric_points_written"]},
        check_results=checks.collection(summary, _utc(stored_end) if stored_end else None, window.time_to))


@asset(
    partitions_def=scan_configs,
    deps=[event_metrics],
    group_name=GROUP,
    check_specs=checks.SIGNALS_CHECKS,
    description="Scores every enabled scope's stored series (SEMANTICS §4): signals of the window's complete "
                "buckets replaced, forecasts of the next bucket rewritten.",
)
def anomaly_signals(context: AssetExecutionContext, config: MetricsWindow, app_db: AppDatabase) -> MaterializeResult:
    from tripl_core.metrics.detection import detect_window

    window = config.resolve(app_db.database, uuid.UUID(context.partition_key))
    with _failing_the_job(context, app_db), app_db.unit_of_work() as session:
        scan = session.get(ScanConfig, window.scan_config_id)
        until = lateness.complete_until(scan) if scan is not None else None  # younger buckets: not yet
        found = detect_window(session, window.scan_config_id, window.time_from, window.time_to, until)
        early = session.scalar(select(func.count()).select_from(AnomalySignal).where(
            AnomalySignal.scan_config_id == window.scan_config_id,
            AnomalySignal.bucket >= until)) if until is not None else 0
    figures = {"series_scored": found.series_scored, "signals_raised": found.signals_found,
               "forecasts_written": found.forecasts_written}
    _add_figures(context, app_db, figures)
    return MaterializeResult(
        metadata={**window.metadata(), "judged_until": checks.iso(until) if until is not None else "",
                  "series_scored": found.series_scored, "signals_found": found.signals_found,
                  "forecasts_written": found.forecasts_written},
        check_results=[checks.complete_buckets_only(until, int(early or 0))])


@asset(
    partitions_def=scan_configs,
    deps=[event_metrics],
    group_name=GROUP,
    check_specs=checks.DRIFTS_CHECKS,
    description="PSI minus sampling noise of each drift field, per event type and scan-wide: the last day "
                "against the seven before it, at the window's end and each whole day before it in the window "
                "(SEMANTICS §5).",
)
def distribution_drifts(context: AssetExecutionContext, config: MetricsWindow, app_db: AppDatabase,
                        app_secrets: AppSecrets) -> MaterializeResult:
    window = config.resolve(app_db.database, uuid.UUID(context.partition_key))
    with _failing_the_job(context, app_db):
        written, significant = collect_drifts(app_db.database, window.scan_config_id, window.time_from,
                                              window.time_to, secrets=app_secrets.box)
    with app_db.unit_of_work() as session:
        scan = session.get(ScanConfig, window.scan_config_id)
        fields = list(scan.distribution_drift_fields or []) if scan is not None else []
    _add_figures(context, app_db, {"drifts": written, "significant_distribution_drifts": significant})
    return MaterializeResult(metadata={**window.metadata(), "drifts": written, "significant_drifts": significant},
                             check_results=[checks.drifts_written(fields, written)])


@asset(
    partitions_def=scan_configs,
    deps=[event_metrics],
    group_name=GROUP,
    check_specs=checks.REGRESSIONS_CHECKS,
    description="Events missing or dropping on the newest active release against the previous one "
                "(SEMANTICS §4), as of the window's end.",
)
def release_regressions(context: AssetExecutionContext, config: MetricsWindow,
                        app_db: AppDatabase) -> MaterializeResult:
    from tripl_core.metrics.releases import detect_regressions

    window = config.resolve(app_db.database, uuid.UUID(context.partition_key))
    with _failing_the_job(context, app_db), app_db.unit_of_work() as session:
        scan = session.get(ScanConfig, window.scan_config_id)
        found = detect_regressions(session, scan, window.time_to) if scan is not None else 0
        wanted = scan is not None and bool(scan.app_version_column)
        points = store.count_points(session, AppVersionDay, window.scan_config_id, window.time_from,
                                    window.time_to) if wanted else 0
    _add_figures(context, app_db, {"release_regressions": found})
    return MaterializeResult(metadata={**window.metadata(), "regressions": found},
                             check_results=[checks.app_versions_collected(wanted, int(points or 0))])


METRICS_ASSETS = [event_metrics, anomaly_signals, distribution_drifts, release_regressions]


def _collects_metrics(db: Database, config_id: uuid.UUID) -> bool:
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        return config is not None and bool(config.interval) and bool(config.time_column)


def _cancel_check(db: Database, job_id: uuid.UUID | None) -> Callable[[], bool]:
    if job_id is None:
        return lambda: False
    return lambda: lifecycle.cancel_requested(db, job_id)


def _progress(db: Database, job_id: uuid.UUID | None) -> Callable[[dict[str, int | str]], None]:
    if job_id is None:
        return lambda summary: None
    return lambda summary: lifecycle.record_run_progress(db, job_id, summary)


def _add_figures(context: AssetExecutionContext, app_db: AppDatabase, figures: dict[str, int]) -> None:
    """A step's figures join its run's job summary (a replay's row shows signals, drifts, regressions)."""
    job_rows.add_figures(app_db.database, job_rows.run_job_id(app_db.database, context.run.tags,
                                                              context.run.run_id), figures)


@contextmanager
def _failing_the_job(context: AssetExecutionContext, app_db: AppDatabase) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        metrics_runs.fail_run(app_db.database, context.run.run_id, context.asset_key.to_user_string(), _message(error))
        raise


def _message(error: Exception) -> str:
    return getattr(error, "message", None) or f"{type(error).__name__}: {error}"


def _names(db: Database, config_id: uuid.UUID) -> dict[str, str]:
    """The project slug and scan name, so the Dagster UI shows which config a partition (a UUID) is."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        if config is None:
            return {}
        project = session.get(Project, config.project_id)
        return {"project": project.slug if project else "", "scan": config.name}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


__all__ = ["METRICS_ASSETS", "Window", "anomaly_signals", "distribution_drifts", "event_metrics",
           "release_regressions"]
