"""What one catalog scan hands to the recorders of drifts, shadow events and volumes: what it observed in
the warehouse (`Observation`, from the scan's read half) and what it wrote to the plan (`PlanWrite`, from
its plan half). They live here, below the scans that fill them, so observe never imports scans."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tripl_core.analysis.identity import FieldSource, IdentityPlan, ObservedEvent
from tripl_core.analysis.schema_drift import Measure, ObservedField
from tripl_core.plan.models import Event, EventType
from tripl_core.warehouse import TimeWindow


@dataclass
class Observation:
    window: TimeWindow | None
    sources: list[FieldSource]
    type_rows: dict[str, int]
    observed: dict[str, dict[str, ObservedField]]
    measures: dict[str, dict[tuple[str, str], Measure]]
    plan: IdentityPlan
    daily: dict[tuple[str, str, date], int]
    samples: dict[tuple[str, str], list[dict[str, Any]]]
    columns_analysed: int
    json_paths_ignored: int
    rows_read: int = 0
    json_keys_sampled_rows: int = 0  # at most this many rows were read to discover JSON keys
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class PlanWrite:
    """What the plan half did, and what the drift and reconciliation half needs from it."""

    types: dict[str, EventType]
    discovered_fields: set[uuid.UUID]  # types whose fields this scan filled
    matched: dict[tuple[str, str], Event] = field(default_factory=dict)  # (type name, identity) → event
    shadows: list[ObservedEvent] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
