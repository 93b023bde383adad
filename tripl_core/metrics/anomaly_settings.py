"""Per-project anomaly settings (SEMANTICS §4): read with defaults, updated field by field."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.analysis.detector_settings import DetectorSettings
from tripl_core.errors import InvalidInput
from tripl_core.metrics.models import AnomalySettings
from tripl_core.warehouse import Interval


class AnomalySettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    anomaly_detection_enabled: bool
    detect_project_total: bool
    detect_event_types: bool
    detect_events: bool
    baseline_window_buckets: int
    min_history_buckets: int
    sigma_threshold: float
    min_expected_count: int
    created_at: datetime
    updated_at: datetime


class AnomalySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anomaly_detection_enabled: bool | None = None
    detect_project_total: bool | None = None
    detect_event_types: bool | None = None
    detect_events: bool | None = None
    baseline_window_buckets: int | None = Field(None, ge=1, le=1000)
    min_history_buckets: int | None = Field(None, ge=1, le=1000)
    sigma_threshold: float | None = Field(None, gt=0, le=100)
    min_expected_count: int | None = Field(None, ge=0)


def _defaults(project_id: uuid.UUID) -> AnomalySettings:
    """A project's settings before anyone changed them: everything detected, the detector's own defaults."""
    detector = DetectorSettings()
    return AnomalySettings(project_id=project_id, anomaly_detection_enabled=True, detect_project_total=True,
                           detect_event_types=True, detect_events=True,
                           baseline_window_buckets=detector.baseline_window_buckets,
                           min_history_buckets=detector.min_history_buckets,
                           sigma_threshold=detector.sigma_threshold,
                           min_expected_count=int(detector.min_expected_count))


def get(session: Session, project_id: uuid.UUID) -> AnomalySettings:
    """The project's settings row, created with the defaults on first read."""
    row = session.scalar(select(AnomalySettings).where(AnomalySettings.project_id == project_id))
    if row is None:
        row = _defaults(project_id)
        session.add(row)
        session.flush()
    return row


def peek(session: Session, project_id: uuid.UUID) -> AnomalySettings:
    """The settings without writing: a transient row with the defaults when none is stored."""
    row = session.scalar(select(AnomalySettings).where(AnomalySettings.project_id == project_id))
    return row or _defaults(project_id)


def update(session: Session, project_id: uuid.UUID, body: AnomalySettingsUpdate) -> AnomalySettings:
    row = get(session, project_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput(f"{name} cannot be null", details=[{"field": name}])
        setattr(row, name, value)
    if row.min_history_buckets > row.baseline_window_buckets:
        raise InvalidInput("min_history_buckets must not exceed baseline_window_buckets",
                           details=[{"field": "min_history_buckets"}])
    session.flush()
    return row


def detector_settings(row: AnomalySettings) -> DetectorSettings:
    return DetectorSettings(sigma_threshold=row.sigma_threshold, min_expected_count=float(row.min_expected_count),
                            baseline_window_buckets=row.baseline_window_buckets,
                            min_history_buckets=min(row.min_history_buckets, row.baseline_window_buckets))


def history_span(interval: Interval, settings: DetectorSettings) -> timedelta:
    """How far back the detector reads: its comparables (same slot on earlier days, or earlier weeks for
    weekly buckets) plus two weeks for the weekday effect."""
    if interval is Interval.WEEK_1:
        return timedelta(weeks=settings.baseline_window_buckets + 2)
    return timedelta(days=settings.baseline_window_buckets + 14)
