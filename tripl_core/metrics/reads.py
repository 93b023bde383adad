"""Series reads (SEMANTICS §3): one scope's counts zero-filled inside the collected windows, scored by the
detector over the history before the requested range, with the latest signal and the stored forecast."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.errors import InvalidInput, NotFound
from tripl_core.metrics import anomaly_settings, bounds
from tripl_core.metrics.models import AnomalySignal, MetricDay, MetricForecast, Scope
from tripl_core.metrics.schemas import ForecastPoint, SeriesOut, SeriesPoint, SignalOut
from tripl_core.metrics.series import coverage, load_counts, score, zero_filled
from tripl_core.plan.models import Event, EventType, Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval, bucket_start

DEFAULT_SPAN = timedelta(days=7)


def metric_configs(session: Session, project: Project) -> list[ScanConfig]:
    return list(session.scalars(select(ScanConfig).where(ScanConfig.project_id == project.id,
                                                         ScanConfig.interval.is_not(None)).order_by(ScanConfig.name)))


def config_by_id(session: Session, project: Project, scan_config_id: uuid.UUID) -> ScanConfig:
    config = session.get(ScanConfig, scan_config_id)
    if config is None or config.project_id != project.id:
        raise NotFound(f"Scan config {scan_config_id} not found in project '{project.slug}'")
    return config


def config_of(session: Session, project: Project, scan_config_id: uuid.UUID | None) -> ScanConfig | None:
    """The named config, or (no id given) the project's first metrics config, None when it has none."""
    if scan_config_id is not None:
        return config_by_id(session, project, scan_config_id)
    configs = metric_configs(session, project)
    return configs[0] if configs else None


def config_for_scope(session: Session, project: Project, scope: Scope, ref: str) -> ScanConfig | None:
    """The metrics scan config whose points hold this scope (the first by name when several do)."""
    config_id = session.scalar(select(MetricDay.scan_config_id).join(ScanConfig).where(
        ScanConfig.project_id == project.id, MetricDay.scope == scope.value, MetricDay.scope_ref == ref)
        .order_by(ScanConfig.name).limit(1))
    if config_id is None:
        configs = metric_configs(session, project)
        return configs[0] if configs else None
    return session.get(ScanConfig, config_id)


def window(session: Session, config: ScanConfig, time_from: datetime | None,
           time_to: datetime | None, series: int = 1) -> tuple[datetime, datetime]:
    """[from, to) aligned to the interval; by default the last 7 days of the collected range. Refused (422)
    beyond the bucket caps of tripl_core.metrics.bounds for `series` series."""
    bounds.check_moment(time_from, "from")
    bounds.check_moment(time_to, "to")
    interval = Interval(config.interval or "1h")
    covered = coverage(session, config.id)
    end = time_to or (covered[1] if covered else bucket_start(datetime.now().astimezone(), interval))
    start = time_from or end - DEFAULT_SPAN
    if start >= end:
        raise InvalidInput("from must be before to", details=[{"field": "from"}])
    bounds.check_buckets(start, end, interval, series)
    return bucket_start(start, interval), bucket_start(end - timedelta(microseconds=1), interval) + interval.delta


def project_total(session: Session, project: Project, scan_config_id: uuid.UUID | None, time_from: datetime | None,
                  time_to: datetime | None) -> SeriesOut:
    config = config_of(session, project, scan_config_id)
    if config is None:
        return SeriesOut(scope=Scope.project_total.value, scan_config_id=None, interval=None, data=[])
    return scope_series(session, config, Scope.project_total, str(config.id), time_from, time_to)


def event_series(session: Session, project: Project, event_id: uuid.UUID, time_from: datetime | None,
                 time_to: datetime | None) -> SeriesOut:
    event = session.get(Event, event_id)
    if event is None or event.project_id != project.id:
        raise NotFound(f"Event {event_id} not found in project '{project.slug}'")
    config = config_for_scope(session, project, Scope.event, str(event_id))
    if config is None:
        return SeriesOut(scope=Scope.event.value, scan_config_id=None, event_id=event_id,
                         event_type_id=event.event_type_id, interval=None, data=[])
    out = scope_series(session, config, Scope.event, str(event_id), time_from, time_to)
    return out.model_copy(update={"event_id": event_id, "event_type_id": event.event_type_id})


def event_type_series(session: Session, project: Project, event_type_id: uuid.UUID, time_from: datetime | None,
                      time_to: datetime | None) -> SeriesOut:
    event_type = session.get(EventType, event_type_id)
    if event_type is None or event_type.project_id != project.id:
        raise NotFound(f"Event type {event_type_id} not found in project '{project.slug}'")
    config = config_for_scope(session, project, Scope.event_type, str(event_type_id))
    if config is None:
        return SeriesOut(scope=Scope.event_type.value, scan_config_id=None, event_type_id=event_type_id,
                         interval=None, data=[])
    out = scope_series(session, config, Scope.event_type, str(event_type_id), time_from, time_to)
    return out.model_copy(update={"event_type_id": event_type_id})


def scope_series(session: Session, config: ScanConfig, scope: Scope, ref: str, time_from: datetime | None,
                 time_to: datetime | None) -> SeriesOut:
    start, end = window(session, config, time_from, time_to)
    counts = load_counts_sum(session, config, [(scope.value, ref)], start, end)
    latest = session.scalar(select(AnomalySignal).where(
        AnomalySignal.scan_config_id == config.id, AnomalySignal.scope == scope.value,
        AnomalySignal.scope_ref == ref).order_by(AnomalySignal.bucket.desc()).limit(1))
    forecast = session.scalars(select(MetricForecast).where(
        MetricForecast.scan_config_id == config.id, MetricForecast.scope == scope.value,
        MetricForecast.scope_ref == ref).order_by(MetricForecast.bucket)).all()
    return SeriesOut(scope=scope.value, scan_config_id=config.id, interval=config.interval,
                     data=counts, latest_signal=SignalOut.model_validate(latest) if latest else None,
                     forecast=[ForecastPoint.model_validate(f) for f in forecast])


def load_counts_sum(session: Session, config: ScanConfig, keys: list[tuple[str, str]], start: datetime,
                    end: datetime) -> list[SeriesPoint]:
    """The summed series of `keys` on [start, end), zero-filled inside the collected range, each point
    scored by the detector from the history before it."""
    interval = Interval(config.interval or "1h")
    detector = anomaly_settings.detector_settings(anomaly_settings.peek(session, config.project_id))
    covered = coverage(session, config.id)
    if covered is None:
        return []
    first = max(covered[0], start - anomaly_settings.history_span(interval, detector))
    last = min(covered[1], end)
    if last <= first:
        return []
    summed: dict[datetime, int] = {}
    for counts in load_counts(session, config.id, keys, first, last).values():
        for bucket, count in counts.items():
            summed[bucket] = summed.get(bucket, 0) + count
    series = zero_filled(summed, first, last, interval)
    scored = score(series, interval, detector)
    shown = scored[scored["timestamp"] >= pd.Timestamp(max(start, covered[0]))]
    return [SeriesPoint(bucket=row.timestamp.to_pydatetime(), count=int(row.value), expected=_num(row.expected),
                        lower=_num(row.lower), upper=_num(row.upper), is_anomaly=bool(row.is_anomaly),
                        z=_num(row.z)) for row in shown.itertuples()]


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
