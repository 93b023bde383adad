"""Detection over stored series (SEMANTICS §4): every enabled scope of a scan config, its zero-filled history
scored with the project's settings in one batch (`detect_many`), replaces the signals of the window and
the forecasts. A `silence` signal closes once its scope's data returns: when it is written (data came back
within the scored range) or at a later detection.

Only complete buckets are judged: those starting before `complete_until` (`lateness.complete_until`, the
config's data delay ago); younger ones are counted, forecast from, and judged by a later run once their
rows have landed. When the whole source falls at once — the project total drops to less than half its
expectation — the drops and silences of that bucket are one `freshness` signal about the source (scope
`freshness`, the scan config as its ref, the project total's figures), not one per event."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tripl_core.analysis.anomaly import BatchDetection
from tripl_core.db.bulk import insert_rows
from tripl_core.metrics import anomaly_settings
from tripl_core.metrics.models import AnomalySignal, MetricForecast, Scope
from tripl_core.metrics.series import coverage, load_counts, score_with_forecast
from tripl_core.metrics.signals import CLOSED, FRESHNESS, SILENCE
from tripl_core.plan.models import Event
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval


@dataclass(frozen=True)
class DetectionResult:
    series_scored: int
    signals_found: int
    forecasts_written: int


SOURCE_FELL = 0.5  # the project total below this share of its expectation: the source fell, not its events


def detect_window(session: Session, scan_config_id: uuid.UUID, start: datetime, end: datetime,
                  complete_until: datetime | None = None) -> DetectionResult:
    """Signals for the complete buckets of [start, end) (those before `complete_until` when given) and the
    forecast of the bucket after the stored range."""
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
    history_start = max(covered[0], start - anomaly_settings.history_span(interval, detector))
    stored_end = covered[1]
    counts = load_counts(session, config.id, None, history_start, stored_end)
    keys = [key for key in counts if key[0] in scopes]
    session.execute(delete(AnomalySignal).where(AnomalySignal.scan_config_id == config.id,
                                                AnomalySignal.bucket >= start, AnomalySignal.bucket < end))
    session.execute(delete(MetricForecast).where(MetricForecast.scan_config_id == config.id))
    event_types = _event_types(session, [uuid.UUID(ref) for scope, ref in keys if scope == Scope.event.value])
    signals, forecasts = [], []
    fell: set[datetime] = set()
    if keys and stored_end > history_start:
        scored, ahead = score_with_forecast(counts, keys, history_start, stored_end, interval, detector)
        judged_end = end if complete_until is None else min(end, complete_until)
        window = np.asarray((scored.timestamps >= start) & (scored.timestamps < judged_end))
        directions = scored.direction()
        fell = _source_fell(scored, keys, str(config.id), window)
        forecast_at = ahead.timestamps[-1].to_pydatetime()
        for index, (scope, ref) in enumerate(keys):
            event_id = uuid.UUID(ref) if scope == Scope.event.value else None
            type_id = uuid.UUID(ref) if scope == Scope.event_type.value else event_types.get(event_id)
            returned = _data_returned(scored.value[index])
            for t in np.flatnonzero(scored.is_anomaly[index] & window):
                signal = _signal(config, scope, ref, event_id, type_id, scored.timestamps[t].to_pydatetime(),
                                 str(directions[index, t]), *_at(scored, index, int(t)))
                if signal["direction"] == SILENCE and returned[t]:
                    signal["status"] = CLOSED
                signals.append(signal)
            expected = float(ahead.expected[index, -1])
            if math.isfinite(expected):
                forecasts.append({"id": uuid.uuid4(), "scan_config_id": config.id, "scope": scope, "scope_ref": ref,
                                  "bucket": forecast_at, "expected": expected,
                                  "lower": float(ahead.lower[index, -1]), "upper": float(ahead.upper[index, -1])})
        _close_returned_silences(session, config.id, start, scored, keys)
    signals = roll_up_freshness(signals, fell)
    insert_rows(session, AnomalySignal, signals)
    insert_rows(session, MetricForecast, forecasts)
    session.flush()
    return DetectionResult(len(keys), len(signals), len(forecasts))


def _data_returned(values: np.ndarray) -> np.ndarray:
    """Per bucket: whether a later bucket of the series holds data (a silence there has ended)."""
    later = np.concatenate([np.cumsum((values > 0)[::-1])[::-1][1:], [0]])
    return later > 0


def _close_returned_silences(session: Session, config_id: uuid.UUID, start: datetime, scored: BatchDetection,
                             keys: list[tuple[str, str]]) -> None:
    """Open silences from before this window whose scope has had data since (SEMANTICS §4: a silence closes
    when data returns)."""
    position = {key: index for index, key in enumerate(keys)}
    silences = session.scalars(select(AnomalySignal).where(
        AnomalySignal.scan_config_id == config_id, AnomalySignal.direction == SILENCE,
        AnomalySignal.status == "open", AnomalySignal.bucket < start))
    for silence in silences:
        index = position.get((silence.scope, silence.scope_ref))
        if index is None:
            continue
        after = np.asarray(scored.timestamps > silence.bucket)
        if bool((scored.value[index][after] > 0).any()):
            silence.status = CLOSED


FALLS = frozenset({"drop", SILENCE})  # what a source that stopped loading looks like per scope


def roll_up_freshness(signals: list[dict[str, object]], fell: set[datetime]) -> list[dict[str, object]]:
    """At the buckets where the whole source fell, the drops and silences of every scope are one incident
    about the source: the project total's signal becomes a freshness signal, the others go."""
    if not fell:
        return signals

    def source_wide(signal: dict[str, object]) -> bool:
        return signal["bucket"] in fell and signal["direction"] in FALLS

    kept = [signal for signal in signals if not source_wide(signal)]
    kept += [{**signal, "id": uuid.uuid4(), "scope": FRESHNESS, "event_id": None, "event_type_id": None}
             for signal in signals if source_wide(signal) and signal["scope"] == Scope.project_total.value]
    return kept


def _source_fell(scored: BatchDetection, keys: list[tuple[str, str]], total_ref: str,
                 window: np.ndarray) -> set[datetime]:
    """Judged buckets where the project total is below `SOURCE_FELL` of its expectation."""
    if (Scope.project_total.value, total_ref) not in keys:
        return set()
    index = keys.index((Scope.project_total.value, total_ref))
    value, expected = np.asarray(scored.value[index]), np.asarray(scored.expected[index])
    fell = window & np.isfinite(expected) & (expected > 0) & (value < SOURCE_FELL * expected)
    return {scored.timestamps[t].to_pydatetime() for t in np.flatnonzero(fell)}


def _event_types(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID | None, uuid.UUID]:
    if not event_ids:
        return {}
    rows = session.execute(select(Event.id, Event.event_type_id).where(Event.id.in_(event_ids))).all()
    return {row[0]: row[1] for row in rows}


def _at(scored: BatchDetection, index: int, t: int) -> tuple[float, float, float, float, float]:
    return (float(scored.value[index, t]), float(scored.expected[index, t]), float(scored.lower[index, t]),
            float(scored.upper[index, t]), float(scored.z[index, t]))


def _signal(config: ScanConfig, scope: str, ref: str, event_id: uuid.UUID | None, type_id: uuid.UUID | None,
            bucket: datetime, direction: str, actual: float, expected: float, lower: float, upper: float,
            z: float) -> dict[str, object]:
    return {"id": uuid.uuid4(), "project_id": config.project_id, "scan_config_id": config.id, "scope": scope,
            "scope_ref": ref, "event_id": event_id, "event_type_id": type_id, "bucket": bucket,
            "direction": direction, "actual": actual, "expected": expected, "lower": lower, "upper": upper, "z": z,
            "status": "open"}
