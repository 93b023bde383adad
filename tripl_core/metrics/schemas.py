"""Response and request shapes of the metrics operations (SEMANTICS §3 series shape)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from tripl_core.schemas import RequestModel, ResponseModel


class SeriesPoint(ResponseModel):
    bucket: datetime
    count: int
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    is_anomaly: bool = False
    z: float | None = None


class ForecastPoint(ResponseModel):
    bucket: datetime
    expected: float
    lower: float
    upper: float


class SignalOut(ResponseModel):
    id: uuid.UUID
    scan_config_id: uuid.UUID
    scope: str
    scope_ref: str
    event_id: uuid.UUID | None
    event_type_id: uuid.UUID | None
    bucket: datetime
    direction: str
    actual: float
    expected: float
    lower: float
    upper: float
    z: float
    status: str
    detected_at: datetime


class SeriesOut(ResponseModel):
    scope: str
    scan_config_id: uuid.UUID | None
    event_id: uuid.UUID | None = None
    event_type_id: uuid.UUID | None = None
    interval: str | None
    data: list[SeriesPoint]
    latest_signal: SignalOut | None = None
    forecast: list[ForecastPoint] = []


class CountPoint(ResponseModel):
    bucket: datetime
    count: int


class WindowMetricsRequest(RequestModel):
    event_ids: list[uuid.UUID] = Field(max_length=5000)
    time_from: datetime | None = None
    time_to: datetime | None = None


class EventWindowMetrics(ResponseModel):
    event_id: uuid.UUID
    scan_config_id: uuid.UUID | None
    interval: str | None
    total_count: int
    data: list[CountPoint]


class SignalsQuery(RequestModel):
    event_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)


class KpiDay(ResponseModel):
    day: datetime
    value: float


class KpiSeries(ResponseModel):
    days: int
    active_events: list[KpiDay]
    total_volume: list[KpiDay]
    signals: list[KpiDay]


class TopEvent(ResponseModel):
    event_id: uuid.UUID
    name: str
    event_type_id: uuid.UUID
    count: int
    previous_count: int
    change: float | None  # relative change vs the previous window; None when it was 0


class BreakdownSeries(ResponseModel):
    value: str
    is_other: bool
    total: int
    data: list[CountPoint]


class EventBreakdowns(ResponseModel):
    event_id: uuid.UUID
    scan_config_id: uuid.UUID | None
    interval: str | None
    columns: list[str]
    selected_column: str | None
    series: list[BreakdownSeries]


class TopMover(ResponseModel):
    breakdown_column: str
    breakdown_value: str
    is_other: bool
    count: int
    expected: float | None
    z: float | None


class HeatmapCell(ResponseModel):
    weekday: int  # Monday = 0
    hour: int  # UTC
    count: int
    anomalies: int


class SeasonalityHeatmap(ResponseModel):
    scan_config_id: uuid.UUID
    scope_type: str
    scope_ref: str
    cells: list[HeatmapCell]
    max_count: int
    total_count: int


class BreakdownTimeline(ResponseModel):
    scan_config_id: uuid.UUID
    scope_type: str
    scope_ref: str
    breakdown_column: str
    breakdown_value: str
    is_other: bool
    interval: str | None
    data: list[CountPoint]


class VersionSeries(ResponseModel):
    version: str
    data: list[CountPoint]


class VersionTotal(ResponseModel):
    version: str
    count: int
    share: float


class AppVersionSeries(ResponseModel):
    scan_config_id: uuid.UUID
    scope_type: str
    scope_ref: str | None
    event_id: uuid.UUID | None = None
    event_type_id: uuid.UUID | None = None
    app_version_column: str | None
    interval: str | None
    latest_version: str | None
    versions: list[str]
    series: list[VersionSeries]


class AppVersionAdoption(AppVersionSeries):
    totals: list[VersionTotal]


class RegressionItem(ResponseModel):
    event_id: uuid.UUID
    event_name: str | None = None
    version: str
    previous_version: str
    kind: str
    observed: int
    expected: float
    previous_count: int
    detected_at: datetime


class ReleaseRegressions(ResponseModel):
    scan_config_id: uuid.UUID
    app_version_column: str | None
    latest_version: str | None
    items: list[RegressionItem]


class DriftPoint(ResponseModel):
    field: str
    window_start: datetime
    window_end: datetime
    psi: float
    noise: float
    score: float
    band: str
    top_changes: list[dict[str, object]]


class DistributionDrifts(ResponseModel):
    scope: str
    scan_config_id: uuid.UUID | None
    event_type_id: uuid.UUID | None
    fields: list[str]
    data: list[DriftPoint]


class ReplayRequest(RequestModel):
    time_from: datetime
    time_to: datetime


class AnnotationCreate(RequestModel):
    bucket: datetime
    label: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    color: str = Field("#ef4444", max_length=20)
    scope_type: str | None = Field(None, pattern="^(project_total|event_type|event)$")
    scope_ref: str | None = Field(None, max_length=64)


class AnnotationOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    scope_type: str | None
    scope_ref: str | None
    bucket: datetime
    label: str
    description: str | None
    color: str
    created_by_user_id: uuid.UUID | None
    created_at: datetime
