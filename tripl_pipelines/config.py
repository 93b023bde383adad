"""Typed run config of tripl's Dagster jobs.

`MetricsWindow` is the one way a metrics window reaches a run: the metrics sensor's requests, a retry or
replay launched from the API (`tripl_core.scans.launching.run_config`) and a launch from the Dagster UI
all give it to every step of the job, and an asset materialised alone reads its own. Left empty, it means
the documented default: the scan config's latest completed interval (`scheduled_window`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import Config
from pydantic import Field, field_validator, model_validator

from tripl_core.db.engine import Database
from tripl_core.metrics.windows import scheduled_window
from tripl_core.photos import sweep


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class MetricsWindow(Config):
    """[time_from, time_to) of a metrics run, ISO 8601 (UTC when no offset is given); both empty: the
    latest completed interval of the partition's scan config."""

    time_from: str | None = Field(default=None, description="Start of the window, inclusive (ISO 8601)")
    time_to: str | None = Field(default=None, description="End of the window, exclusive (ISO 8601)")

    @field_validator("time_from", "time_to")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value:
            _moment(value)  # ValueError names the bad moment
        return value or None

    @model_validator(mode="after")
    def _both_or_neither(self) -> MetricsWindow:
        if (self.time_from is None) != (self.time_to is None):
            raise ValueError("give both time_from and time_to, or neither (the latest completed interval)")
        if self.time_from and self.time_to and _moment(self.time_from) >= _moment(self.time_to):
            raise ValueError("time_from must be before time_to")
        return self

    def resolve(self, db: Database, scan_config_id: uuid.UUID) -> Window:
        if self.time_from and self.time_to:
            return Window(scan_config_id, _moment(self.time_from), _moment(self.time_to))
        return Window(scan_config_id, *scheduled_window(db, scan_config_id))


@dataclass(frozen=True)
class Window:
    scan_config_id: uuid.UUID
    time_from: datetime
    time_to: datetime

    def metadata(self) -> dict[str, str]:
        return {"window": f"[{_iso(self.time_from)}, {_iso(self.time_to)})"}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class DeliveryRetries(Config):
    limit: int = Field(default=200, ge=1, le=10_000,
                       description="Most deliveries resent by one run (the rest wait for the next)")


class RetentionConfig(Config):
    retention_days: int | None = Field(default=None, ge=1, description="Overrides TRIPL_AUDIT_RETENTION_DAYS")


class SweepConfig(Config):
    grace_minutes: int = Field(default=int(sweep.GRACE.total_seconds() // 60), ge=0,
                               description="Files younger than this are kept: their upload may not have "
                                           "committed its row yet.")
