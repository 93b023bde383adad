"""Metrics reads (SEMANTICS §3, §4): series of the project total, event types and events with their
detector verdicts and forecasts, active signals, overview KPIs and drill-downs. Reading is for every role
and key of the project; the POST queries are reads too (long id lists)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from tripl_api.deps import DbSession, ProjectReader
from tripl_api.routing import api_router
from tripl_core.metrics import drilldown, overview, reads, releases, signals
from tripl_core.metrics.schemas import (
    AppVersionAdoption,
    AppVersionSeries,
    BreakdownTimeline,
    DistributionDrifts,
    EventBreakdowns,
    EventWindowMetrics,
    KpiSeries,
    ReleaseRegressions,
    SeasonalityHeatmap,
    SeriesOut,
    SignalOut,
    SignalsQuery,
    TopEvent,
    TopMover,
    WindowMetricsRequest,
)

router = api_router("metrics", "/projects/{slug}")
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]
READ_ONLY = {"x-read-only": True}


@router.get("/events-metrics", response_model=SeriesOut)
def get_events_metrics(project: ProjectReader, session: DbSession, event_type_id: uuid.UUID | None = None,
                       search: str | None = None, tag: str | None = None,
                       status: Annotated[list[str] | None, Query()] = None, time_from: From = None,
                       time_to: To = None) -> SeriesOut:
    """The summed series of the main-branch events the filters select."""
    selection = overview.EventFilter(event_type_id, search, tag, tuple(status or ()))
    return overview.events_series(session, project, selection, time_from, time_to)


@router.post("/events/window-metrics", response_model=list[EventWindowMetrics], openapi_extra=READ_ONLY)
def get_events_window_metrics(body: WindowMetricsRequest, project: ProjectReader,
                              session: DbSession) -> list[EventWindowMetrics]:
    return overview.window_metrics(session, project, body)


@router.get("/overview/kpi-series", response_model=KpiSeries)
def get_overview_kpi_series(project: ProjectReader, session: DbSession,
                            days: Annotated[int, Query(ge=1, le=365)] = 14) -> KpiSeries:
    return overview.kpi_series(session, project, days)


@router.get("/overview/top-events", response_model=list[TopEvent])
def get_overview_top_events(project: ProjectReader, session: DbSession,
                            window_hours: Annotated[int, Query(ge=1, le=720)] = 48,
                            limit: Annotated[int, Query(ge=1, le=100)] = 6) -> list[TopEvent]:
    return overview.top_events(session, project, window_hours, limit)


@router.get("/metrics/total", response_model=SeriesOut)
def get_project_total_metrics(project: ProjectReader, session: DbSession, scan_config_id: uuid.UUID | None = None,
                              time_from: From = None, time_to: To = None) -> SeriesOut:
    return reads.project_total(session, project, scan_config_id, time_from, time_to)


@router.get("/events/{event_id}/metrics", response_model=SeriesOut)
def get_event_metrics(event_id: uuid.UUID, project: ProjectReader, session: DbSession, time_from: From = None,
                      time_to: To = None) -> SeriesOut:
    return reads.event_series(session, project, event_id, time_from, time_to)


@router.get("/events/{event_id}/metrics/breakdowns", response_model=EventBreakdowns)
def get_event_metric_breakdowns(event_id: uuid.UUID, project: ProjectReader, session: DbSession,
                                column: str | None = None, time_from: From = None,
                                time_to: To = None) -> EventBreakdowns:
    return drilldown.event_breakdowns(session, project, event_id, column, time_from, time_to)


@router.get("/event-types/{event_type_id}/metrics", response_model=SeriesOut)
def get_event_type_metrics(event_type_id: uuid.UUID, project: ProjectReader, session: DbSession,
                           time_from: From = None, time_to: To = None) -> SeriesOut:
    return reads.event_type_series(session, project, event_type_id, time_from, time_to)


@router.get("/anomalies/signals", response_model=list[SignalOut])
def get_active_signals(project: ProjectReader, session: DbSession,
                       event_id: Annotated[list[uuid.UUID] | None, Query()] = None) -> list[SignalOut]:
    """For long event-id lists use Query Active Signals (POST)."""
    return [SignalOut.model_validate(s) for s in signals.active(session, project, event_id or ())]


@router.post("/anomalies/signals/query", response_model=list[SignalOut], openapi_extra=READ_ONLY)
def query_active_signals(body: SignalsQuery, project: ProjectReader, session: DbSession) -> list[SignalOut]:
    return [SignalOut.model_validate(s) for s in signals.active(session, project, body.event_ids)]


@router.get("/scans/{scan_config_id}/top-movers", response_model=list[TopMover])
def get_top_movers(scan_config_id: uuid.UUID, project: ProjectReader, session: DbSession, scope_type: str,
                   scope_ref: str, bucket: datetime,
                   limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[TopMover]:
    """Breakdown rows of a scope ranked by |z| of their own series at `bucket`, largest first."""
    config = reads.config_by_id(session, project, scan_config_id)
    return drilldown.top_movers(session, config, drilldown.scope_key(config, scope_type, scope_ref), bucket, limit)


@router.get("/scans/{scan_config_id}/seasonality", response_model=SeasonalityHeatmap)
def get_seasonality_heatmap(scan_config_id: uuid.UUID, project: ProjectReader, session: DbSession,
                            scope_type: str, scope_ref: str, time_from: From = None,
                            time_to: To = None) -> SeasonalityHeatmap:
    config = reads.config_by_id(session, project, scan_config_id)
    key = drilldown.scope_key(config, scope_type, scope_ref)
    return drilldown.heatmap(session, config, key, time_from, time_to)


@router.get("/scans/{scan_config_id}/breakdown-timeline", response_model=BreakdownTimeline)
def get_breakdown_timeline(scan_config_id: uuid.UUID, project: ProjectReader, session: DbSession,
                           scope_type: str, scope_ref: str, breakdown_column: str, breakdown_value: str,
                           is_other: bool = False, time_from: From = None, time_to: To = None) -> BreakdownTimeline:
    config = reads.config_by_id(session, project, scan_config_id)
    key = drilldown.scope_key(config, scope_type, scope_ref)
    return drilldown.breakdown_timeline(session, config, key, breakdown_column, breakdown_value, is_other,
                                        time_from, time_to)


@router.get("/scans/{scan_config_id}/app-versions", response_model=AppVersionSeries)
def get_app_version_series(scan_config_id: uuid.UUID, project: ProjectReader, session: DbSession,
                           scope_type: str = "project_total", scope_ref: str | None = None, time_from: From = None,
                           time_to: To = None) -> AppVersionSeries:
    config = reads.config_by_id(session, project, scan_config_id)
    key = drilldown.scope_key(config, scope_type, scope_ref)
    return releases.version_series(session, config, key, time_from, time_to)


@router.get("/scans/{scan_config_id}/version-adoption", response_model=AppVersionAdoption)
def get_app_version_adoption(scan_config_id: uuid.UUID, project: ProjectReader, session: DbSession,
                             time_from: From = None, time_to: To = None) -> AppVersionAdoption:
    config = reads.config_by_id(session, project, scan_config_id)
    return releases.adoption(session, config, time_from, time_to)


@router.get("/scans/{scan_config_id}/release-regressions", response_model=ReleaseRegressions)
def get_release_regressions(scan_config_id: uuid.UUID, project: ProjectReader,
                            session: DbSession) -> ReleaseRegressions:
    config = reads.config_by_id(session, project, scan_config_id)
    return releases.regressions_out(session, config)


@router.get("/distribution-drifts", response_model=DistributionDrifts)
def get_distribution_drifts(project: ProjectReader, session: DbSession, scope_type: str, scope_ref: str,
                            scan_config_id: uuid.UUID | None = None, time_from: From = None,
                            time_to: To = None) -> DistributionDrifts:
    return releases.drifts_out(session, project, scope_type, scope_ref, scan_config_id, time_from, time_to)
