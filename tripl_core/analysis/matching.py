"""Alert matching (SEMANTICS §7), pure: which signals and drifts a rule notifies about now.

Used unchanged by the fan-out (live state from the database) and by Simulate (state replayed bucket by
bucket). A candidate passes a rule when the rule includes its kind and direction, every filter holds, the
numeric gates hold (percent gate skipped when expected is 0; gates skipped for drifts, which carry no
counts), and its |z| reaches the scope's threshold (raised by false positives). A passing candidate is
sent unless the rule already delivered it, its correlation group is suppressed (acknowledged, resolved,
muted, false positive) or its scope is in cooldown."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SPIKE, DROP, SILENCE = "spike", "drop", "silence"
SIGNAL_SCOPES = {"project_total": "include_project_total", "event_type": "include_event_types",
                 "event": "include_events"}
KIND_FLAGS = {"schema_drift": "include_schema_drifts", "distribution_drift": "include_distribution_drifts",
              "release_regression": "include_release_regressions"}
FALSE_POSITIVE_STEP = 0.5
MAX_THRESHOLD_RAISE = 2.0

ScopeKey = tuple[uuid.UUID, str, str]
GroupKey = tuple[uuid.UUID, str, str, str]


@dataclass(frozen=True)
class Candidate:
    """A signal (`kind` "signal", `scope` its scope) or a drift/regression (`scope` = `kind`)."""

    kind: str
    source_id: str
    scan_config_id: uuid.UUID
    scope: str
    scope_ref: str
    scope_name: str
    direction: str
    bucket: datetime
    actual: float | None = None
    expected: float | None = None
    z: float | None = None
    event_type: str | None = None
    event: str | None = None
    drift_field: str | None = None
    sample_value: str | None = None

    @property
    def scope_key(self) -> ScopeKey:
        return (self.scan_config_id, self.scope, self.scope_ref)

    @property
    def group_key(self) -> GroupKey:
        return (self.scan_config_id, self.scope, self.scope_ref, self.direction)

    @property
    def percent_delta(self) -> float | None:
        if self.actual is None or not self.expected:
            return None
        return (self.actual - self.expected) / self.expected * 100.0


@dataclass(frozen=True)
class RuleFilter:
    field: str
    op: str
    values: Collection[str]  # a frozenset from RuleView.of: rules with long `in` lists stay fast

    def holds(self, candidate: Candidate) -> bool:
        if self.field == "direction":
            seen = {candidate.direction}
        else:
            seen = {value for value in (getattr(candidate, self.field), _ref_of(candidate, self.field)) if value}
        hit = any(value in self.values for value in seen)
        return hit if self.op in ("eq", "in") else not hit


@dataclass(frozen=True)
class RuleView:
    id: uuid.UUID
    include_project_total: bool = True
    include_event_types: bool = True
    include_events: bool = True
    include_schema_drifts: bool = False
    include_distribution_drifts: bool = False
    include_release_regressions: bool = False
    notify_on_spike: bool = True
    notify_on_drop: bool = True
    min_percent_delta: float = 0.0
    min_absolute_delta: float = 0.0
    min_expected_count: float = 0.0
    cooldown_minutes: int = 1440
    filters: tuple[RuleFilter, ...] = ()

    @classmethod
    def of(cls, rule: Any) -> RuleView:
        names = [name for name in cls.__dataclass_fields__ if name != "filters"]
        filters = tuple(RuleFilter(f["field"], f["op"], frozenset(f["values"])) for f in (rule.filters or []))
        return cls(**{name: getattr(rule, name) for name in names}, filters=filters)


@dataclass
class MatchState:
    """What a rule has done so far: when each scope was last delivered, which sources it delivered,
    which correlation groups are suppressed, and the |z| each scope must reach (absent: no raise)."""

    last_sent: dict[ScopeKey, datetime] = field(default_factory=dict)
    delivered: set[tuple[str, str]] = field(default_factory=set)
    suppressed: set[GroupKey] = field(default_factory=set)
    min_z: dict[ScopeKey, float] = field(default_factory=dict)

    def record_sent(self, items: Iterable[Candidate], at: datetime) -> None:
        for item in items:
            self.last_sent[item.scope_key] = at
            self.delivered.add((item.kind, item.source_id))


@dataclass(frozen=True)
class Selection:
    matched: list[Candidate]
    to_send: list[Candidate]
    in_cooldown: list[Candidate]
    suppressed: list[Candidate]


def passes(rule: RuleView, candidate: Candidate, min_z: float | None = None) -> bool:
    flag = SIGNAL_SCOPES.get(candidate.scope) if candidate.kind == "signal" else KIND_FLAGS.get(candidate.kind)
    if flag is None or not getattr(rule, flag):
        return False
    # A silence is volume gone missing: rules notify about it as about drops.
    if not (rule.notify_on_spike if candidate.direction == SPIKE else rule.notify_on_drop):
        return False
    if not all(rule_filter.holds(candidate) for rule_filter in rule.filters):
        return False
    if min_z is not None and candidate.z is not None and abs(candidate.z) < min_z:
        return False
    return _gates(rule, candidate)


def _gates(rule: RuleView, candidate: Candidate) -> bool:
    if candidate.actual is None or candidate.expected is None:
        return True
    if candidate.expected < rule.min_expected_count:
        return False
    if abs(candidate.actual - candidate.expected) < rule.min_absolute_delta:
        return False
    percent = candidate.percent_delta
    return percent is None or abs(percent) >= rule.min_percent_delta


def select(rule: RuleView, candidates: Sequence[Candidate], state: MatchState, now: datetime,
           cooldown_minutes: int | None = None) -> Selection:
    cooldown = timedelta(minutes=rule.cooldown_minutes if cooldown_minutes is None else cooldown_minutes)
    matched = [c for c in candidates if (c.kind, c.source_id) not in state.delivered
               and passes(rule, c, state.min_z.get(c.scope_key))]
    to_send, waiting, suppressed = [], [], []
    for candidate in matched:
        last = state.last_sent.get(candidate.scope_key)
        if candidate.group_key in state.suppressed:
            suppressed.append(candidate)
        elif last is not None and now < last + cooldown:
            waiting.append(candidate)
        else:
            to_send.append(candidate)
    return Selection(matched, to_send, waiting, suppressed)


def raised_threshold(base_sigma: float, false_positives: int) -> float:
    """Each false positive of a scope raises its sigma a notch, up to a cap."""
    return base_sigma + min(FALSE_POSITIVE_STEP * false_positives, MAX_THRESHOLD_RAISE)


def percent_label(candidate: Candidate) -> str:
    percent = candidate.percent_delta
    return "n/a" if percent is None else f"{percent:+.1f}%"


def batches(items: Sequence[Candidate], size: int) -> list[list[Candidate]]:
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def _ref_of(candidate: Candidate, field_name: str) -> str | None:
    """Filters match names or ids: an event's id is its scope_ref, and so is an event type's."""
    return candidate.scope_ref if candidate.scope == field_name else None
