"""What the demo warehouse holds on purpose: the planted cases a first collection must surface."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tripl_core.demo.synth import BUCKET

Direction = Literal["spike", "drop"]


@dataclass(frozen=True)
class VolumeAnomaly:
    """One event's volume multiplied by ``factor`` over the 15-minute buckets [start, end)."""

    event_type: str
    event_name: str
    direction: Direction
    start: datetime
    end: datetime
    factor: float

    @property
    def buckets(self) -> tuple[datetime, ...]:
        count = (self.end - self.start) // BUCKET
        return tuple(self.start + index * BUCKET for index in range(count))


@dataclass(frozen=True)
class Silence:
    """One event not sent at all from ``start`` to the end of the range (still silent "now"): a
    ``silence`` signal once that has lasted longer than its history makes plausible (SEMANTICS §4)."""

    event_type: str
    event_name: str
    start: datetime
    end: datetime

    def found_by(self, flags: list[tuple[datetime, str]]) -> bool:
        """Whether the detector's flags on this event (bucket, direction) hold its silence: the first
        flag from its start on is a ``silence`` within ``SILENCE_FOUND_WITHIN``."""
        later = [(bucket, direction) for bucket, direction in flags if bucket >= self.start]
        return bool(later) and later[0][1] == "silence" and later[0][0] < self.start + SILENCE_FOUND_WITHIN


# A silence at the demo's evening volume (~8 events a quarter-hour) is significant within an hour or so.
SILENCE_FOUND_WITHIN = timedelta(hours=2)


@dataclass(frozen=True)
class Release:
    version: str
    released_at: datetime
    prerelease: bool = False
    phases: tuple[tuple[datetime, float], ...] = ()
    """Phased rollout: from each moment, the share of users the release is offered to."""


@dataclass(frozen=True)
class MissingOnRelease:
    """``event_name`` is never sent by ``version`` while ``previous_version`` keeps sending it."""

    event_type: str
    event_name: str
    version: str
    previous_version: str
    released_at: datetime
    active_from: datetime
    """First 15-minute bucket from which the release's expected traffic share stays ≥ 5%."""
    final_share: float
    """Expected traffic share of the release in the last bucket."""


@dataclass(frozen=True)
class DistributionShift:
    """The shares of ``field``'s values on ``event_type`` rows change at ``since``."""

    event_type: str
    field: str
    since: datetime
    baseline: tuple[tuple[str, float], ...]
    current: tuple[tuple[str, float], ...]

    def psi(self) -> float:
        """Population stability index between the two share vectors (the size of the planted drift)."""
        before, after = dict(self.baseline), dict(self.current)
        return sum((after[key] - before[key]) * math.log(after[key] / before[key]) for key in before)


@dataclass(frozen=True)
class NewField:
    """A JSON key that ``event_type`` rows start carrying at ``since`` (on a share of them)."""

    event_type: str
    field: str
    since: datetime
    share: float
    values: tuple[str, ...]


@dataclass(frozen=True)
class DeadEvent:
    """An event the plan declares live that stopped being sent at ``last_sent_before``."""

    event_type: str
    event_name: str
    last_sent_before: datetime


@dataclass(frozen=True)
class ShadowEvent:
    """An event in the warehouse that the demo plan does not declare."""

    event_type: str
    event_name: str


@dataclass(frozen=True)
class DemoCases:
    table: str
    time_column: str
    start: datetime
    end: datetime
    """The range is [start, end): 15-minute aligned, UTC."""
    seed: int
    row_count: int
    event_types: tuple[str, ...]
    events: tuple[tuple[str, str], ...]
    """(event_type, event_name) of every event generated, shadow and dead ones included."""
    base_version: str
    releases: tuple[Release, ...]
    spike: VolumeAnomaly
    drop: VolumeAnomaly
    missing_on_release: MissingOnRelease
    distribution_shift: DistributionShift
    new_field: NewField
    dead_event: DeadEvent
    shadow_event: ShadowEvent
    silence: Silence

    @property
    def days(self) -> int:
        return (self.end - self.start) // timedelta(days=1)

    @property
    def volume_anomalies(self) -> tuple[VolumeAnomaly, ...]:
        return (self.spike, self.drop)
