"""Scan configs (SEMANTICS §2 "Scan config"): what to read from a data source and how rows become a plan."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONList, TimestampMixin

DEFAULT_CARDINALITY_THRESHOLD = 100
DEFAULT_SCAN_ROW_LIMIT = 50_000
DEFAULT_METRICS_ROW_LIMIT = 100_000
DEFAULT_APP_VERSION_KEEP_RELEASES = 5


class ScanInterval(StrEnum):
    m15 = "15m"
    h1 = "1h"
    h6 = "6h"
    d1 = "1d"
    w1 = "1w"

    @property
    def seconds(self) -> int:
        return {"15m": 900, "1h": 3600, "6h": 21600, "1d": 86400, "1w": 604800}[self.value]


class ScanConfig(IdMixin, TimestampMixin, Base):
    """One scan of a project's plan over a data source's base query. `event_type_id` (all rows are of
    that main-branch type) and `event_type_column` (each distinct value is a type) exclude each other.
    `event_group_rules` is `[{name, condition_logic: all|any, conditions: [{field, pattern}]}]`."""

    __tablename__ = "scan_configs"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    data_source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), index=True)
    # No ON DELETE: deleting a bound event type is refused (409) by the plan; a project's delete
    # cascades to both tables in one statement.
    event_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("event_types.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    base_query: Mapped[str] = mapped_column(Text)
    event_type_column: Mapped[str | None] = mapped_column(String(255))
    time_column: Mapped[str | None] = mapped_column(String(255))
    event_name_format: Mapped[str | None] = mapped_column(String(1000))
    json_value_paths: Mapped[list[str]] = mapped_column(JSONList, default=list)
    event_group_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONList, default=list)
    metric_breakdown_columns: Mapped[list[str]] = mapped_column(JSONList, default=list)
    metric_breakdown_values_limit: Mapped[int | None] = mapped_column(Integer)
    distribution_drift_fields: Mapped[list[str]] = mapped_column(JSONList, default=list)
    cardinality_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_CARDINALITY_THRESHOLD)
    interval: Mapped[str | None] = mapped_column(String(8))
    replay_chunk_interval: Mapped[str | None] = mapped_column(String(8))
    scan_lookback_hours: Mapped[int | None] = mapped_column(Integer)
    scan_row_limit: Mapped[int | None] = mapped_column(Integer, default=DEFAULT_SCAN_ROW_LIMIT)
    metrics_row_limit: Mapped[int | None] = mapped_column(Integer, default=DEFAULT_METRICS_ROW_LIMIT)
    app_version_column: Mapped[str | None] = mapped_column(String(255))
    app_version_keep_releases: Mapped[int | None] = mapped_column(
        Integer, default=DEFAULT_APP_VERSION_KEEP_RELEASES)
    # Late data (SEMANTICS §4): set by users, else learnt by the collections from buckets that kept growing.
    data_delay_minutes: Mapped[int | None] = mapped_column(Integer)
    learnt_data_delay_minutes: Mapped[int | None] = mapped_column(Integer)
