"""Metrics assets per scan config partition, downstream of the catalog: event metrics (counts per bucket of
every scope, breakdowns, app versions) → anomaly signals and forecasts, distribution drifts, release
regressions. Thin wrappers over `tripl_core.metrics`; each service writes its bucket range atomically
and re-running a window replaces it.
The window: the run's `tripl/time_from` / `tripl/time_to` tags (set by the metrics sensor), else the
last complete interval (`scheduled_window`, e.g. a materialisation started in the Dagster UI). Event
metrics passes the window it collected downstream; a catalog-only config (no interval) collects
nothing, and the downstream assets are then skipped.
Each run has a job row (`tripl_core.jobs.metrics_runs`): the window, the Dagster run id, the outcome."""


import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    Output,
    asset,
)
from sqlalchemy import func, select

from tripl_core.db.base import as_utc
from tripl_core.jobs import metrics_runs
from tripl_core.metrics import lateness, store
from tripl_core.metrics.detection import detect_window
from tripl_core.metrics.distribution_drifts import collect_drifts
from tripl_core.metrics.models import AnomalySignal, AppVersionDay, MetricWindow
from tripl_core.metrics.releases import detect_regressions
from tripl_core.metrics.replay import collect_chunks
from tripl_core.metrics.run import scheduled_window
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.launching import TIME_FROM_TAG, TIME_TO_TAG, job_id_from_tags, readable_tags
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets

# A first collection or a catch-up after downtime reads many buckets: in chunks of at least a day (each
# written atomically), not one query per bucket.
CATCH_UP_CHUNK = timedelta(days=1)
GROUP = "metrics"


def _check(name: str, asset_name: str, description: str) -> AssetCheckSpec:
    return AssetCheckSpec(name, asset=asset_name, description=description)


@dataclass(frozen=True)
class CollectedWindow:
    scan_config_id: str
    time_from: datetime
    time_to: datetime

    def metadata(self) -> dict[str, str]:
        return {"window": f"[{_iso(self.time_from)}, {_iso(self.time_to)})"}


@asset(
    partitions_def=scan_configs,
    deps=["catalog"],
    output_required=False,
    group_name=GROUP,
    check_specs=[_check("collection_complete", "event_metrics", "Every chunk of the window was collected and "
                        "the stored windows reach its end"),
                 _check("points_written", "event_metrics", "The window wrote count points (a warning when the "
                        "warehouse returned no rows for it)")],
    description="Counts per bucket of every scope (project total, event types, events), breakdowns with "
                "top N + Other and app-version series over the run's window, counted in the warehouse.",
)
def event_metrics(context: AssetExecutionContext, app_db: AppDatabase,
                  app_secrets: AppSecrets) -> Iterator[Output[CollectedWindow] | AssetCheckResult]:
    db, config_id = app_db.database, uuid.UUID(context.partition_key)
    if not _collects_metrics(app_db, config_id):
        context.log.info("Catalog-only scan config (no interval): no metrics to collect")
        for check in ("collection_complete", "points_written"):  # checks are required outputs: say why
            yield AssetCheckResult(check_name=check, passed=True, metadata={"skipped": "catalog-only scan config"})
        return
    time_from, time_to = _window(context, app_db, config_id)
    job_id = metrics_runs.begin(db, config_id, context.run.run_id, job_id_from_tags(context.run.tags),
                                time_from, time_to)
    try:
        summary = collect_chunks(db, config_id, time_from, time_to, secrets=app_secrets.box, with_drifts=False,
                                 min_chunk=CATCH_UP_CHUNK)
    except Exception as error:
        if job_id is not None:
            metrics_runs.fail(db, job_id, _message(error))
        raise
    if job_id is not None:
        metrics_runs.succeed(db, job_id, dict(summary))
    window = CollectedWindow(str(config_id), time_from, time_to)
    yield Output(window, metadata={**window.metadata(), **_names(app_db, config_id), "chunks": summary["chunks"],
                                   "rows_read": summary["rows_read"],
                                   "points_written": summary["metric_points_written"]})
    with app_db.unit_of_work() as session:
        stored_end = session.scalar(select(func.max(MetricWindow.time_to))
                                    .where(MetricWindow.scan_config_id == config_id))
    complete = summary["chunks_done"] == summary["chunks"] and stored_end is not None and \
        as_utc(stored_end) >= time_to
    yield AssetCheckResult(check_name="collection_complete", passed=bool(complete),
                           metadata={"chunks": summary["chunks"], "chunks_done": summary["chunks_done"],
                                     "stored_until": _iso(as_utc(stored_end)) if stored_end else "nothing"})
    yield AssetCheckResult(check_name="points_written", passed=int(summary["metric_points_written"]) > 0,
                           severity=AssetCheckSeverity.WARN,
                           metadata={"points_written": summary["metric_points_written"],
                                     "rows_read": summary["rows_read"]})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    group_name=GROUP,
    check_specs=[_check("complete_buckets_only", "anomaly_signals", "No signal sits on a bucket younger than "
                        "the scan config's data delay (its rows may still be landing)")],
    description="Scores every enabled scope's stored series (SEMANTICS §4): signals of the window's complete "
                "buckets replaced, forecasts of the next bucket rewritten.",
)
def anomaly_signals(context: AssetExecutionContext, app_db: AppDatabase,
                    window: CollectedWindow) -> Iterator[Output[None] | AssetCheckResult]:
    with _failing_the_job(context, app_db), app_db.unit_of_work() as session:
        config = session.get(ScanConfig, uuid.UUID(window.scan_config_id))
        until = lateness.complete_until(config) if config is not None else None  # younger buckets: not yet
        found = detect_window(session, uuid.UUID(window.scan_config_id), window.time_from, window.time_to, until)
        early = session.scalar(select(func.count()).select_from(AnomalySignal).where(
            AnomalySignal.scan_config_id == uuid.UUID(window.scan_config_id),
            AnomalySignal.bucket >= until)) if until is not None else 0
    yield Output(None, metadata={**window.metadata(), "series_scored": found.series_scored,
                                 "judged_until": _iso(until) if until is not None else "",
                                 "signals_found": found.signals_found,
                                 "forecasts_written": found.forecasts_written})
    yield AssetCheckResult(check_name="complete_buckets_only", passed=not early,
                           metadata={"judged_until": _iso(until) if until is not None else "",
                                     "signals_on_unsettled_buckets": int(early or 0)})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    group_name=GROUP,
    check_specs=[_check("drifts_written", "distribution_drifts", "Each configured drift field got a drift "
                        "score (a warning when none could be computed)")],
    description="PSI minus sampling noise of each drift field, per event type and scan-wide: the last day "
                "against the seven before it, at the window's end and each whole day before it in the window "
                "(SEMANTICS §5).",
)
def distribution_drifts(context: AssetExecutionContext, app_db: AppDatabase, app_secrets: AppSecrets,
                        window: CollectedWindow) -> Iterator[Output[None] | AssetCheckResult]:
    with _failing_the_job(context, app_db):
        written, significant = collect_drifts(app_db.database, uuid.UUID(window.scan_config_id),
                                                     window.time_from, window.time_to, secrets=app_secrets.box)
    with app_db.unit_of_work() as session:
        config = session.get(ScanConfig, uuid.UUID(window.scan_config_id))
        fields = list(config.distribution_drift_fields or []) if config is not None else []
    yield Output(None, metadata={**window.metadata(), "drifts": written, "significant_drifts": significant})
    yield AssetCheckResult(check_name="drifts_written", passed=not fields or written > 0,
                           severity=AssetCheckSeverity.WARN,
                           metadata={"drift_fields": ", ".join(fields) or "none configured", "drifts": written})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    group_name=GROUP,
    check_specs=[_check("app_versions_collected", "release_regressions", "A config with an app version column "
                        "has app-version series in the window (else releases cannot be compared)")],
    description="Events missing or dropping on the newest active release against the previous one "
                "(SEMANTICS §4), as of the window's end.",
)
def release_regressions(context: AssetExecutionContext, app_db: AppDatabase,
                        window: CollectedWindow) -> Iterator[Output[None] | AssetCheckResult]:
    config_id = uuid.UUID(window.scan_config_id)
    with _failing_the_job(context, app_db), app_db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        found = detect_regressions(session, config, window.time_to) if config is not None else 0
        wanted = config is not None and bool(config.app_version_column)
        points = store.count_points(session, AppVersionDay, config_id, window.time_from,
                                    window.time_to) if wanted else 0
    yield Output(None, metadata={**window.metadata(), "regressions": found})
    yield AssetCheckResult(check_name="app_versions_collected", passed=not wanted or bool(points),
                           severity=AssetCheckSeverity.WARN,
                           metadata={"app_version_points": int(points or 0),
                                     "app_version_column": "set" if wanted else "none"})


METRICS_ASSETS = [event_metrics, anomaly_signals, distribution_drifts, release_regressions]


def _collects_metrics(app_db: AppDatabase, config_id: uuid.UUID) -> bool:
    with app_db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        return config is not None and bool(config.interval) and bool(config.time_column)


def _window(context: AssetExecutionContext, app_db: AppDatabase, config_id: uuid.UUID) -> tuple[datetime, datetime]:
    tags = context.run.tags
    if TIME_FROM_TAG in tags and TIME_TO_TAG in tags:
        return datetime.fromisoformat(tags[TIME_FROM_TAG]), datetime.fromisoformat(tags[TIME_TO_TAG])
    return scheduled_window(app_db.database, config_id)


@contextmanager
def _failing_the_job(context: AssetExecutionContext, app_db: AppDatabase) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        metrics_runs.fail_run(app_db.database, context.run.run_id, context.asset_key.to_user_string(), _message(error))
        raise


def _message(error: Exception) -> str:
    return getattr(error, "message", None) or f"{type(error).__name__}: {error}"


def _names(app_db: AppDatabase, config_id: uuid.UUID) -> dict[str, str]:
    """The project slug and scan name (as the run tags name them), so the Dagster UI shows which config a
    partition (a UUID) is."""
    with app_db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        return readable_tags(session, config.project_id, config.id) if config else {}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

