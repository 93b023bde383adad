"""Metrics assets per scan config partition, downstream of the catalog: event metrics (counts per bucket of
every scope, breakdowns, app versions) → anomaly signals and forecasts, distribution drifts, release
regressions. Thin wrappers over `tripl_core.metrics`; each service writes its bucket range atomically
and re-running a window replaces it.
The window: the run's `tripl/time_from` / `tripl/time_to` tags (set by the metrics sensor), else the
last complete interval (`scheduled_window`, e.g. a materialisation started in the Dagster UI). Event
metrics passes the window it collected downstream; a catalog-only config (no interval) collects
nothing, and the downstream assets are then skipped."""


import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from dagster import AssetExecutionContext, AssetIn, Output, asset

from tripl_core.metrics import drifts, lateness
from tripl_core.metrics.detection import detect_window
from tripl_core.metrics.releases import detect_regressions
from tripl_core.metrics.replay import collect_chunks
from tripl_core.metrics.run import scheduled_window
from tripl_core.scans.launching import TIME_FROM_TAG, TIME_TO_TAG
from tripl_core.scans.models import ScanConfig
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase, AppSecrets

# A first collection or a catch-up after downtime reads many buckets: in chunks of at least a day (each
# written atomically), not one query per bucket.
CATCH_UP_CHUNK = timedelta(days=1)


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
    description="Counts per bucket of every scope (project total, event types, events), breakdowns with "
                "top N + Other and app-version series over the run's window, counted in the warehouse.",
)
def event_metrics(context: AssetExecutionContext, app_db: AppDatabase,
                  app_secrets: AppSecrets) -> Iterator[Output[CollectedWindow]]:
    db, config_id = app_db.database, uuid.UUID(context.partition_key)
    if not _collects_metrics(app_db, config_id):
        context.log.info("Catalog-only scan config (no interval): no metrics to collect")
        return
    time_from, time_to = _window(context, app_db, config_id)
    summary = collect_chunks(db, config_id, time_from, time_to, secrets=app_secrets.box, with_drifts=False,
                             min_chunk=CATCH_UP_CHUNK)
    window = CollectedWindow(str(config_id), time_from, time_to)
    yield Output(window, metadata={**window.metadata(), "chunks": summary["chunks"],
                                   "rows_read": summary["rows_read"],
                                   "points_written": summary["metric_points_written"]})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    description="Scores every enabled scope's stored series (SEMANTICS §4): signals of the window's buckets "
                "replaced, forecasts of the next bucket rewritten.",
)
def anomaly_signals(context: AssetExecutionContext, app_db: AppDatabase, window: CollectedWindow) -> Output[None]:
    with app_db.unit_of_work() as session:
        config = session.get(ScanConfig, uuid.UUID(window.scan_config_id))
        until = lateness.complete_until(config) if config is not None else None  # younger buckets: not yet
        found = detect_window(session, uuid.UUID(window.scan_config_id), window.time_from, window.time_to, until)
    return Output(None, metadata={**window.metadata(), "series_scored": found.series_scored,
                                  "judged_until": _iso(until) if until is not None else "",
                                  "signals_found": found.signals_found,
                                  "forecasts_written": found.forecasts_written})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    description="PSI minus sampling noise of each drift field, per event type and scan-wide: the last day "
                "against the seven before it, at the window's end and each whole day before it in the window "
                "(SEMANTICS §5).",
)
def distribution_drifts(context: AssetExecutionContext, app_db: AppDatabase, app_secrets: AppSecrets,
                        window: CollectedWindow) -> Output[None]:
    written, significant = drifts.collect_drifts(app_db.database, uuid.UUID(window.scan_config_id), window.time_from,
                                                 window.time_to, secrets=app_secrets.box)
    return Output(None, metadata={**window.metadata(), "drifts": written, "significant_drifts": significant})


@asset(
    partitions_def=scan_configs,
    ins={"window": AssetIn("event_metrics")},
    description="Events missing or dropping on the newest active release against the previous one "
                "(SEMANTICS §4), as of the window's end.",
)
def release_regressions(context: AssetExecutionContext, app_db: AppDatabase, window: CollectedWindow) -> Output[None]:
    with app_db.unit_of_work() as session:
        config = session.get(ScanConfig, uuid.UUID(window.scan_config_id))
        found = detect_regressions(session, config, window.time_to) if config is not None else 0
    return Output(None, metadata={**window.metadata(), "regressions": found})


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


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

