"""Drill-downs (SEMANTICS §4): an event's breakdown series, top movers of a bucket, the weekday × hour
seasonality heatmap and one breakdown value's timeline."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.errors import InvalidInput, NotFound
from tripl_core.metrics import anomaly_settings, store
from tripl_core.metrics.models import AnomalySignal, BreakdownDay, MetricDay, Scope
from tripl_core.metrics.reads import config_for_scope, window
from tripl_core.metrics.schemas import (
    BreakdownSeries,
    BreakdownTimeline,
    CountPoint,
    EventBreakdowns,
    HeatmapCell,
    SeasonalityHeatmap,
    TopMover,
)
from tripl_core.metrics.series import coverage, score, zero_filled
from tripl_core.plan.models import Event, Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval, bucket_start

ScopeKey = tuple[str, str]


def scope_key(config: ScanConfig | None, scope_type: str, scope_ref: str | None) -> ScopeKey:
    if config is None:
        raise NotFound("Scan config not found")
    if scope_type not in {s.value for s in Scope}:
        raise InvalidInput(f"scope_type must be one of project_total, event_type, event, not '{scope_type}'",
                           details=[{"field": "scope_type"}])
    if scope_type == Scope.project_total.value:
        return scope_type, str(config.id)
    if not scope_ref:
        raise InvalidInput(f"scope_ref is required for scope_type '{scope_type}'", details=[{"field": "scope_ref"}])
    return scope_type, scope_ref


def _breakdown_rows(session: Session, config: ScanConfig, key: ScopeKey, column: str, start: datetime,
                    end: datetime) -> dict[tuple[str, bool], dict[datetime, int]]:
    out: dict[tuple[str, bool], dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for (_, _, _, value, other), found in store.read(
            session, BreakdownDay, config.id, start, end, BreakdownDay.scope == key[0],
            BreakdownDay.scope_ref == key[1], BreakdownDay.breakdown_column == column):
        summed = out[(value, bool(other))]
        for bucket, count in found.items():
            summed[bucket] += count
    return out


def _points(series: pd.Series) -> list[CountPoint]:
    return [CountPoint(bucket=b.to_pydatetime(), count=int(c)) for b, c in series.items()]


def _clip(session: Session, config: ScanConfig, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    covered = coverage(session, config.id)
    if covered is None:
        return start, start
    return max(start, covered[0]), min(end, covered[1])


def event_breakdowns(session: Session, project: Project, event_id: uuid.UUID, column: str | None,
                     time_from: datetime | None, time_to: datetime | None) -> EventBreakdowns:
    event = session.get(Event, event_id)
    if event is None or event.project_id != project.id:
        raise NotFound(f"Event {event_id} not found in project '{project.slug}'")
    config = config_for_scope(session, project, Scope.event, str(event_id))
    if config is None:
        return EventBreakdowns(event_id=event_id, scan_config_id=None, interval=None, columns=[],
                               selected_column=None, series=[])
    columns = list(config.metric_breakdown_columns or [])
    selected = column or (columns[0] if columns else None)
    if selected is not None and selected not in columns:
        raise InvalidInput(f"'{selected}' is not a breakdown column of scan config '{config.name}'",
                           details=[{"field": "column"}])
    series: list[BreakdownSeries] = []
    if selected is not None:
        start, end = _clip(session, config, *window(session, config, time_from, time_to))
        interval = Interval(config.interval or "1h")
        for (value, other), counts in _breakdown_rows(session, config, (Scope.event.value, str(event_id)), selected,
                                                      start, end).items():
            filled = zero_filled(counts, start, end, interval)
            series.append(BreakdownSeries(value=value, is_other=other, total=int(filled.sum()), data=_points(filled)))
        series.sort(key=lambda s: (s.is_other, -s.total, s.value))
    return EventBreakdowns(event_id=event_id, scan_config_id=config.id, interval=config.interval, columns=columns,
                           selected_column=selected, series=series)


def top_movers(session: Session, config: ScanConfig, key: ScopeKey, bucket: datetime,
               limit: int) -> list[TopMover]:
    interval = Interval(config.interval or "1h")
    detector = anomaly_settings.detector_settings(anomaly_settings.peek(session, config.project_id))
    at = bucket_start(bucket, interval)
    covered = coverage(session, config.id)
    if covered is None:
        return []
    start, end = max(covered[0], at - anomaly_settings.history_span(interval, detector)), at + interval.delta
    movers = []
    for column in config.metric_breakdown_columns or []:
        for (value, other), counts in _breakdown_rows(session, config, key, column, start, end).items():
            scored = score(zero_filled(counts, start, end, interval), interval, detector).iloc[-1]
            z = float(scored.z) if pd.notna(scored.z) else None
            expected = float(scored.expected) if pd.notna(scored.expected) else None
            movers.append(TopMover(breakdown_column=column, breakdown_value=value, is_other=other,
                                   count=int(scored.value), expected=expected, z=z))
    movers.sort(key=lambda m: -(abs(m.z) if m.z is not None else -1.0))
    return movers[:limit]


def heatmap(session: Session, config: ScanConfig, key: ScopeKey, time_from: datetime | None,
            time_to: datetime | None) -> SeasonalityHeatmap:
    start, end = window(session, config, time_from, time_to)
    counts = [point for _, found in store.read(session, MetricDay, config.id, start, end, MetricDay.scope == key[0],
                                               MetricDay.scope_ref == key[1]) for point in found.items()]
    anomalies = session.scalars(select(AnomalySignal.bucket).where(
        AnomalySignal.scan_config_id == config.id, AnomalySignal.scope == key[0], AnomalySignal.scope_ref == key[1],
        AnomalySignal.bucket >= start, AnomalySignal.bucket < end)).all()
    volume: dict[tuple[int, int], int] = defaultdict(int)
    flagged: dict[tuple[int, int], int] = defaultdict(int)
    for bucket, count in counts:
        volume[(bucket.weekday(), bucket.hour)] += count
    for bucket in anomalies:
        flagged[(bucket.weekday(), bucket.hour)] += 1
    cells = [HeatmapCell(weekday=d, hour=h, count=volume[(d, h)], anomalies=flagged[(d, h)])
             for d in range(7) for h in range(24)]
    return SeasonalityHeatmap(scan_config_id=config.id, scope_type=key[0], scope_ref=key[1], cells=cells,
                              max_count=max((c.count for c in cells), default=0),
                              total_count=sum(c.count for c in cells))


def breakdown_timeline(session: Session, config: ScanConfig, key: ScopeKey, column: str, value: str, is_other: bool,
                       time_from: datetime | None, time_to: datetime | None) -> BreakdownTimeline:
    start, end = _clip(session, config, *window(session, config, time_from, time_to))
    where = [BreakdownDay.scope == key[0], BreakdownDay.scope_ref == key[1], BreakdownDay.breakdown_column == column,
             BreakdownDay.is_other == is_other]
    if not is_other:
        where.append(BreakdownDay.breakdown_value == value)
    counts: dict[datetime, int] = defaultdict(int)
    for _, found in store.read(session, BreakdownDay, config.id, start, end, *where):
        for bucket, count in found.items():
            counts[bucket] += count
    filled = zero_filled(counts, start, end, Interval(config.interval or "1h"))
    return BreakdownTimeline(scan_config_id=config.id, scope_type=key[0], scope_ref=key[1], breakdown_column=column,
                             breakdown_value=value, is_other=is_other, interval=config.interval, data=_points(filled))
