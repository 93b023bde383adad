"""Request and response shapes of scan configs and scan jobs (reference tag `scans`)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from tripl_core.scan_configs.models import (
    DEFAULT_APP_VERSION_KEEP_RELEASES,
    DEFAULT_CARDINALITY_THRESHOLD,
    DEFAULT_METRICS_ROW_LIMIT,
    DEFAULT_SCAN_ROW_LIMIT,
    ScanInterval,
)
from tripl_core.schemas import RequestModel, ResponseModel
from tripl_core.sources.schemas import JobOut

MAX_GROUP_CONDITIONS = 20
MAX_BASE_QUERY_LENGTH = 100_000
# Explicit null on these means "back to the default", on create and on update.
DEFAULTS_ON_NULL: dict[str, int] = {
    "scan_row_limit": DEFAULT_SCAN_ROW_LIMIT,
    "metrics_row_limit": DEFAULT_METRICS_ROW_LIMIT,
    "app_version_keep_releases": DEFAULT_APP_VERSION_KEEP_RELEASES,
}
MAX_DATA_DELAY_MINUTES = 7 * 24 * 60
# Absent or null on update keeps these (they cannot be empty).
KEPT_ON_NULL = frozenset({"name", "base_query", "json_value_paths", "event_group_rules",
                          "metric_breakdown_columns", "distribution_drift_fields", "cardinality_threshold"})


def _column(default: Any = None) -> Any:
    return Field(default, min_length=1, max_length=255)


def _positive(default: Any = None) -> Any:
    return Field(default, ge=1)


def _delay() -> Any:
    """How late the warehouse's rows land, in minutes (an extra of tripl's: the reference has no such
    field). Null: learnt from the collections (`learnt_data_delay_minutes`, SEMANTICS §4 "Late data")."""
    return Field(None, ge=0, le=MAX_DATA_DELAY_MINUTES,
                 description="Minutes after which a bucket's rows have all landed; null learns it")


class EventGroupCondition(RequestModel):
    field: str = Field(min_length=1, max_length=255, description="A column or `json_column.path`.")
    pattern: str = Field(min_length=1, max_length=1000, description="A regular expression searched in the value.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
        return value


class EventGroupRule(RequestModel):
    """Rows matching the rule are renamed to `name` before they are matched against the plan."""

    name: str = Field(min_length=1, max_length=255, pattern=r"\S")
    condition_logic: Literal["all", "any"] = "all"
    conditions: list[EventGroupCondition] = Field(min_length=1, max_length=MAX_GROUP_CONDITIONS)


class ScanSettings(RequestModel):
    """Every field of a scan config but the data source: what create takes and what update merges into."""

    event_type_id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=255, pattern=r"\S")
    base_query: str = Field(min_length=1, max_length=MAX_BASE_QUERY_LENGTH, pattern=r"\S")
    event_type_column: str | None = _column()
    time_column: str | None = _column()
    event_name_format: str | None = Field(None, min_length=1, max_length=1000,
                                          description="`{column}` / `{json_column.path}` placeholders.")
    json_value_paths: list[str] = Field(default_factory=list)
    event_group_rules: list[EventGroupRule] = Field(default_factory=list)
    metric_breakdown_columns: list[str] = Field(default_factory=list)
    metric_breakdown_values_limit: int | None = _positive()
    distribution_drift_fields: list[str] = Field(default_factory=list)
    cardinality_threshold: int = Field(DEFAULT_CARDINALITY_THRESHOLD, ge=1)
    interval: ScanInterval | None = None
    replay_chunk_interval: ScanInterval | None = None
    scan_lookback_hours: int | None = _positive()
    scan_row_limit: int | None = _positive(DEFAULT_SCAN_ROW_LIMIT)
    metrics_row_limit: int | None = _positive(DEFAULT_METRICS_ROW_LIMIT)
    app_version_column: str | None = _column()
    app_version_keep_releases: int | None = _positive(DEFAULT_APP_VERSION_KEEP_RELEASES)
    data_delay_minutes: int | None = _delay()

    def stored(self) -> dict[str, Any]:
        """Column values for the model, nulls of defaulted limits replaced by their defaults."""
        values = self.model_dump(mode="json")
        values["event_type_id"] = self.event_type_id
        for name, default in DEFAULTS_ON_NULL.items():
            if values[name] is None:
                values[name] = default
        return values


class ScanConfigCreate(ScanSettings):
    data_source_id: uuid.UUID


class ScanConfigUpdate(RequestModel):
    """Absent fields are kept. Null clears an optional field (`event_type_id`, `time_column`,
    `interval`, …), resets a limit with a default to it, and keeps the fields that cannot be empty."""

    event_type_id: uuid.UUID | None = None
    name: str | None = Field(None, min_length=1, max_length=255, pattern=r"\S")
    base_query: str | None = Field(None, min_length=1, max_length=MAX_BASE_QUERY_LENGTH, pattern=r"\S")
    event_type_column: str | None = _column()
    time_column: str | None = _column()
    event_name_format: str | None = Field(None, min_length=1, max_length=1000)
    json_value_paths: list[str] | None = None
    event_group_rules: list[EventGroupRule] | None = None
    metric_breakdown_columns: list[str] | None = None
    metric_breakdown_values_limit: int | None = _positive()
    distribution_drift_fields: list[str] | None = None
    cardinality_threshold: int | None = _positive()
    interval: ScanInterval | None = None
    replay_chunk_interval: ScanInterval | None = None
    scan_lookback_hours: int | None = _positive()
    scan_row_limit: int | None = _positive()
    metrics_row_limit: int | None = _positive()
    app_version_column: str | None = _column()
    app_version_keep_releases: int | None = _positive()
    data_delay_minutes: int | None = _delay()

    def changes(self) -> dict[str, Any]:
        """The fields the request set, minus the nulls that mean "keep"."""
        return {name: getattr(self, name) for name in self.model_fields_set
                if not (name in KEPT_ON_NULL and getattr(self, name) is None)}


class ScanConfigOut(ResponseModel):
    id: uuid.UUID
    data_source_id: uuid.UUID
    project_id: uuid.UUID
    event_type_id: uuid.UUID | None
    name: str
    base_query: str
    event_type_column: str | None
    time_column: str | None
    event_name_format: str | None
    json_value_paths: list[str]
    event_group_rules: list[dict[str, Any]]
    metric_breakdown_columns: list[str]
    metric_breakdown_values_limit: int | None
    distribution_drift_fields: list[str]
    cardinality_threshold: int
    interval: ScanInterval | None
    replay_chunk_interval: ScanInterval | None
    scan_lookback_hours: int | None
    scan_row_limit: int | None
    metrics_row_limit: int | None
    app_version_column: str | None
    app_version_keep_releases: int | None
    data_delay_minutes: int | None
    learnt_data_delay_minutes: int | None
    created_at: datetime
    updated_at: datetime


class ScanJobOut(JobOut):
    """A scan, replay or apply-groups run. `status` ∈ pending/running/cancelling/succeeded/failed/
    cancelled; `scan_config_id` is null once its scan config was deleted."""

    kind: str
    scan_config_id: uuid.UUID | None
