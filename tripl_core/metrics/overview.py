"""Overview reads (SEMANTICS §3): the summed series of filtered events, per-event window totals, daily
KPIs and the top events with their change against the previous window. Sums run in the database."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.metrics import store
from tripl_core.metrics.models import AnomalySignal, MetricDay, Scope
from tripl_core.metrics.reads import config_of, load_counts_sum, window
from tripl_core.metrics.schemas import (
    CountPoint,
    EventWindowMetrics,
    KpiDay,
    KpiSeries,
    SeriesOut,
    TopEvent,
    WindowMetricsRequest,
)
from tripl_core.metrics.series import zero_filled
from tripl_core.plan.models import Event, EventTag, Project
from tripl_core.plan.projects import main_branch_id
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval


@dataclass(frozen=True)
class EventFilter:
    event_type_id: uuid.UUID | None = None
    search: str | None = None
    tag: str | None = None
    statuses: tuple[str, ...] = ()


def events_series(session: Session, project: Project, selection: EventFilter, time_from: datetime | None,
                  time_to: datetime | None) -> SeriesOut:
    config = config_of(session, project, None)
    if config is None:
        return SeriesOut(scope=Scope.event.value, scan_config_id=None, interval=None, data=[])
    query = select(Event.id).where(Event.branch_id == main_branch_id(session, project.id))
    if selection.event_type_id:
        query = query.where(Event.event_type_id == selection.event_type_id)
    if selection.search:
        query = query.where(Event.name.ilike(f"%{selection.search}%"))
    if selection.statuses:
        query = query.where(Event.status.in_(selection.statuses))
    if selection.tag:
        query = query.where(Event.id.in_(select(EventTag.event_id).where(EventTag.tag == selection.tag.lower())))
    keys = [(Scope.event.value, str(event_id)) for event_id in session.scalars(query)]
    start, end = window(session, config, time_from, time_to)
    data = load_counts_sum(session, config, keys, start, end) if keys else []
    return SeriesOut(scope=Scope.event.value, scan_config_id=config.id, event_type_id=selection.event_type_id,
                     interval=config.interval, data=data)


def window_metrics(session: Session, project: Project, body: WindowMetricsRequest) -> list[EventWindowMetrics]:
    """Per event: its counts in the window (zero-filled) and their total; events without data answer 0."""
    refs = [str(event_id) for event_id in body.event_ids]
    config = config_of(session, project, None)
    if config is None or not refs:
        return [EventWindowMetrics(event_id=e, scan_config_id=None, interval=None, total_count=0, data=[])
                for e in body.event_ids]
    start, end = window(session, config, body.time_from, body.time_to, series=len(refs))
    per_event = store.series(session, MetricDay, config.id, start, end, MetricDay.scope == Scope.event.value,
                             MetricDay.scope_ref.in_(refs))
    interval = Interval(config.interval or "1h")
    out = []
    for event_id, ref in zip(body.event_ids, refs, strict=True):
        series = zero_filled(per_event.get((Scope.event.value, ref), {}), start, end, interval)
        out.append(EventWindowMetrics(event_id=event_id, scan_config_id=config.id, interval=config.interval,
                                      total_count=int(series.sum()),
                                      data=[CountPoint(bucket=b.to_pydatetime(), count=int(c))
                                            for b, c in series.items()]))
    return out


def kpi_series(session: Session, project: Project, days: int) -> KpiSeries:
    """Per UTC day of the last `days`: events with data, total volume (project totals), signals raised."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    configs = select(ScanConfig.id).where(ScanConfig.project_id == project.id)
    # a day row's total is the sum of its buckets, and it is stored only when non-zero
    active: dict[object, int] = dict(session.execute(
        select(MetricDay.day, func.count(func.distinct(MetricDay.scope_ref))).where(
            MetricDay.scan_config_id.in_(configs), MetricDay.scope == Scope.event.value, MetricDay.total > 0,
            MetricDay.day >= start).group_by(MetricDay.day)).all())
    volume: dict[object, int] = dict(session.execute(select(MetricDay.day, func.sum(MetricDay.total)).where(
        MetricDay.scan_config_id.in_(configs), MetricDay.scope == Scope.project_total.value,
        MetricDay.day >= start).group_by(MetricDay.day)).all())
    signal_day = func.date(AnomalySignal.bucket)
    raised: dict[object, int] = dict(session.execute(select(signal_day, func.count()).where(
        AnomalySignal.project_id == project.id, AnomalySignal.bucket >= start).group_by(signal_day)).all())
    calendar = [start + timedelta(days=i) for i in range(days)]

    def series(values: dict[object, int]) -> list[KpiDay]:
        found = {str(k)[:10]: v for k, v in values.items()}
        return [KpiDay(day=d, value=float(found.get(d.date().isoformat(), 0) or 0)) for d in calendar]

    return KpiSeries(days=days, active_events=series(active), total_volume=series(volume), signals=series(raised))


def top_events(session: Session, project: Project, window_hours: int, limit: int) -> list[TopEvent]:
    """The events with the largest volume in the last `window_hours`, with the previous window's volume."""
    now = utcnow()
    span = timedelta(hours=window_hours)
    configs = select(ScanConfig.id).where(ScanConfig.project_id == project.id)
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_, ref), found in store.read(session, MetricDay, MetricDay.scan_config_id.in_(configs), now - 2 * span, now,
                                      MetricDay.scope == Scope.event.value):
        for bucket, count in found.items():
            sums[ref][0 if bucket >= now - span else 1] += count
    ranked = sorted(((ref, recent, before) for ref, (recent, before) in sums.items() if recent),
                    key=lambda row: -row[1])
    rows = ranked[:limit]
    events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_([uuid.UUID(r) for r, _, _ in rows])))}
    out = []
    for ref, count, previous in rows:
        event = events.get(uuid.UUID(ref))
        if event is None or not count:
            continue
        previous = int(previous or 0)
        change = (int(count) - previous) / previous if previous else None
        out.append(TopEvent(event_id=event.id, name=event.name, event_type_id=event.event_type_id,
                            count=int(count), previous_count=previous, change=change))
    return out
