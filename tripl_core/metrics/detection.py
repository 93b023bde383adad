"""Detection over stored series (SEMANTICS §4): for each enabled scope of a scan config, score its
zero-filled history with the project's settings, replace the signals of the window and the forecasts."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tripl_core.analysis.anomaly import DetectorSettings
from tripl_core.metrics import settings as anomaly_settings
from tripl_core.metrics.models import AnomalySignal, MetricForecast, Scope
from tripl_core.metrics.series import coverage, history_span, load_counts, next_buckets, score, zero_filled
from tripl_core.plan.models import Event
from tripl_core.scans.models import ScanConfig
from tripl_core.warehouse import Interval


@dataclass(frozen=True)
class DetectionResult:
    series_scored: int
    signals_found: int
    forecasts_written: int


def detect_window(session: Session, scan_config_id: uuid.UUID, start: datetime, end: datetime) -> DetectionResult:
    """Signals for buckets in [start, end) and the forecast of the bucket after the stored range."""
    config = session.get(ScanConfig, scan_config_id)
    if config is None or not config.interval:
        return DetectionResult(0, 0, 0)
    row = anomaly_settings.peek(session, config.project_id)
    if not row.anomaly_detection_enabled:
        return DetectionResult(0, 0, 0)
    scopes = [s for s, on in ((Scope.project_total, row.detect_project_total), (Scope.event_type,
              row.detect_event_types), (Scope.event, row.detect_events)) if on]
    interval, detector = Interval(config.interval), anomaly_settings.detector_settings(row)
    covered = coverage(session, config.id)
    if covered is None:
        return DetectionResult(0, 0, 0)
    history_start = max(covered[0], start - history_span(interval, detector))
    stored_end = covered[1]
    counts = load_counts(session, config.id, None, history_start, stored_end)
    keys = [key for key in counts if key[0] in scopes]
    session.execute(delete(AnomalySignal).where(AnomalySignal.scan_config_id == config.id,
                                                AnomalySignal.bucket >= start, AnomalySignal.bucket < end))
    session.execute(delete(MetricForecast).where(MetricForecast.scan_config_id == config.id))
    event_types = _event_types(session, [uuid.UUID(ref) for scope, ref in keys if scope == Scope.event.value])
    signals, forecasts = [], []
    for scope, ref in keys:
        series = zero_filled(counts[(scope, ref)], history_start, stored_end, interval)
        if series.empty:
            continue
        scored = score(series, interval, detector)
        onsets = scored[scored["is_anomaly"] & (scored["timestamp"] >= start) & (scored["timestamp"] < end)]
        event_id = uuid.UUID(ref) if scope == Scope.event.value else None
        type_id = uuid.UUID(ref) if scope == Scope.event_type.value else event_types.get(event_id)
        signals += [_signal(config, scope, ref, event_id, type_id, point) for point in onsets.itertuples()]
        forecasts += _forecasts(config.id, scope, ref, series, interval, detector)
    if signals:
        session.execute(insert(AnomalySignal), signals)
    if forecasts:
        session.execute(insert(MetricForecast), forecasts)
    session.flush()
    return DetectionResult(len(keys), len(signals), len(forecasts))


def _event_types(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID | None, uuid.UUID]:
    if not event_ids:
        return {}
    rows = session.execute(select(Event.id, Event.event_type_id).where(Event.id.in_(event_ids))).all()
    return {row[0]: row[1] for row in rows}


def _signal(config: ScanConfig, scope: str, ref: str, event_id: uuid.UUID | None, type_id: uuid.UUID | None,
            point: Any) -> dict[str, object]:
    return {"id": uuid.uuid4(), "project_id": config.project_id, "scan_config_id": config.id, "scope": scope,
            "scope_ref": ref, "event_id": event_id, "event_type_id": type_id,
            "bucket": point.timestamp.to_pydatetime(), "direction": point.direction, "actual": float(point.value),
            "expected": float(point.expected), "lower": float(point.lower), "upper": float(point.upper),
            "z": float(point.z), "status": "open"}


def _forecasts(config_id: uuid.UUID, scope: str, ref: str, series: pd.Series, interval: Interval,
               detector: DetectorSettings) -> list[dict[str, object]]:
    ahead = next_buckets(series, interval, detector)
    return [{"id": uuid.uuid4(), "scan_config_id": config_id, "scope": scope, "scope_ref": ref,
             "bucket": row.timestamp.to_pydatetime(), "expected": float(row.expected), "lower": float(row.lower),
             "upper": float(row.upper)}
            for row in ahead.itertuples() if math.isfinite(row.expected)]
