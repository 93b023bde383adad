"""What a metrics collection stores per scan config (SEMANTICS §3, §4, §5).

Counts are stored per scope and UTC day, the day's buckets packed in one row; a collection window's buckets
are replaced as one unit, so re-running a window is idempotent and a failed run keeps what was there.
`metric_windows` records which windows were collected: reads zero-fill only inside them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONList, TimestampMixin, utcnow


class Scope(StrEnum):
    project_total = "project_total"
    event_type = "event_type"
    event = "event"


class Band(StrEnum):
    stable = "stable"
    minor = "minor"
    significant = "significant"


class _SeriesDay:
    """One series on one UTC day: `counts` packs the day's buckets as little-endian int64 (tripl_core/metrics/
    packing.py), bucket i starting at `day` + i × `step` seconds (one bucket for daily and weekly intervals,
    whose buckets start at midnight), 0 where nothing was counted; `total` is their sum. A collection
    replaces whole day rows (patching the days its window only partly covers), so the row count follows
    series × days, not points."""

    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"),
                                                      primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)
    step: Mapped[int] = mapped_column(Integer)
    counts: Mapped[bytes] = mapped_column(LargeBinary)
    total: Mapped[int] = mapped_column(BigInteger)


class MetricDay(_SeriesDay, Base):
    """Counts of one scope per bucket of one day. `scope_ref` is the event or event type id as text, and the
    scan config id for the project total."""

    __tablename__ = "metric_days"
    __table_args__ = (PrimaryKeyConstraint("scan_config_id", "scope", "scope_ref", "day"),
                      Index("ix_metric_days_config_day", "scan_config_id", "day"))


class BreakdownDay(_SeriesDay, Base):
    """Counts of one scope per bucket of one day holding one value of a breakdown column (`Other`:
    is_other)."""

    __tablename__ = "metric_breakdown_days"
    __table_args__ = (PrimaryKeyConstraint("scan_config_id", "scope", "scope_ref", "breakdown_column",
                                           "breakdown_value", "is_other", "day"),
                      Index("ix_metric_breakdown_days_config_day", "scan_config_id", "day"))

    breakdown_column: Mapped[str] = mapped_column(String(255), primary_key=True)
    breakdown_value: Mapped[str] = mapped_column(String(500), primary_key=True)
    is_other: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class AppVersionDay(_SeriesDay, Base):
    """Counts of one scope per bucket of one day from one app release (older releases and pre-releases:
    `Other`)."""

    __tablename__ = "metric_app_version_days"
    __table_args__ = (PrimaryKeyConstraint("scan_config_id", "scope", "scope_ref", "version", "day"),
                      Index("ix_metric_app_version_days_config_day", "scan_config_id", "day"))

    version: Mapped[str] = mapped_column(String(100), primary_key=True)


class MetricWindow(IdMixin, Base):
    """A collected window [time_from, time_to) of a scan config."""

    __tablename__ = "metric_windows"
    __table_args__ = (UniqueConstraint("scan_config_id", "time_from", "time_to"),)

    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    time_from: Mapped[datetime]
    time_to: Mapped[datetime]
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnomalySignal(IdMixin, Base):
    """An anomalous bucket of one scope (the onset of an incident)."""

    __tablename__ = "anomaly_signals"
    __table_args__ = (UniqueConstraint("scan_config_id", "scope", "scope_ref", "bucket"),
                      Index("ix_anomaly_signals_project_bucket", "project_id", "bucket"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    scope_ref: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    event_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    bucket: Mapped[datetime]
    direction: Mapped[str] = mapped_column(String(8))
    actual: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    upper: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class MetricForecast(IdMixin, Base):
    """The next bucket of one scope as the detector expects it, written with each detection."""

    __tablename__ = "metric_forecasts"
    __table_args__ = (UniqueConstraint("scan_config_id", "scope", "scope_ref", "bucket"),)

    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    scope_ref: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[datetime]
    expected: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    upper: Mapped[float] = mapped_column(Float)


class DistributionDrift(IdMixin, Base):
    """PSI of one drift field's value shares, current window against the baseline window, minus noise."""

    __tablename__ = "distribution_drifts"
    __table_args__ = (UniqueConstraint("scan_config_id", "scope", "scope_ref", "field", "window_end"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    scope_ref: Mapped[str] = mapped_column(String(64))
    event_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(500))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    baseline_start: Mapped[datetime]
    psi: Mapped[float] = mapped_column(Float)
    noise: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    top_changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONList, default=list)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseRegression(IdMixin, Base):
    """An event whose volume on the newest active release falls short of what the previous release's
    share predicts (`missing` or `volume_drop`)."""

    __tablename__ = "release_regressions"
    __table_args__ = (UniqueConstraint("scan_config_id", "event_id", "version"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    previous_version: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    observed: Mapped[int] = mapped_column(BigInteger)
    expected: Mapped[float] = mapped_column(Float)
    previous_count: Mapped[int] = mapped_column(BigInteger)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnomalySettings(IdMixin, TimestampMixin, Base):
    """Per-project detection settings (SEMANTICS §4 defaults); absent row = defaults."""

    __tablename__ = "anomaly_settings"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    anomaly_detection_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    detect_project_total: Mapped[bool] = mapped_column(Boolean, default=True)
    detect_event_types: Mapped[bool] = mapped_column(Boolean, default=True)
    detect_events: Mapped[bool] = mapped_column(Boolean, default=True)
    baseline_window_buckets: Mapped[int] = mapped_column(Integer, default=14)
    min_history_buckets: Mapped[int] = mapped_column(Integer, default=7)
    sigma_threshold: Mapped[float] = mapped_column(Float, default=4.0)
    min_expected_count: Mapped[int] = mapped_column(Integer, default=0)


class ChartAnnotation(IdMixin, Base):
    """A labelled mark on a bucket, for the project total (no scope) or one scope."""

    __tablename__ = "chart_annotations"
    __table_args__ = (Index("ix_chart_annotations_project_bucket", "project_id", "bucket"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    scope_type: Mapped[str | None] = mapped_column(String(16))
    scope_ref: Mapped[str | None] = mapped_column(String(64))
    bucket: Mapped[datetime]
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    color: Mapped[str] = mapped_column(String(20), default="#ef4444")
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
