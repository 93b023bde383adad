"""Signals and drifts read as matching candidates: those active now for one scan config (fan-out), or
every one stored in a window for the project (Simulate). Names are resolved here so that templates and
filters see event and event type names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from tripl_core.analysis.matching import DROP, SPIKE, Candidate
from tripl_core.metrics.models import AnomalySignal, DistributionDrift, ReleaseRegression
from tripl_core.metrics.signals import ACTIVE_FOR, ACTIVE_INTERVALS, FRESHNESS
from tripl_core.observe.models import DriftStatus, SchemaDrift
from tripl_core.plan.models import Event, EventType
from tripl_core.scan_configs.models import ScanConfig, ScanInterval

SIGNIFICANT = "significant"
CATCH_UP_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    scan_config_ids: Sequence[uuid.UUID]
    start: datetime
    end: datetime


def active_span(config: ScanConfig) -> timedelta:
    """How long a signal stays active and a correlation group keeps firing (SEMANTICS §4)."""
    seconds = ScanInterval(config.interval).seconds if config.interval else 0
    return max(ACTIVE_FOR, ACTIVE_INTERVALS * timedelta(seconds=seconds))


@dataclass(frozen=True)
class Collection:
    """The window [time_from, time_to) a metrics run collected (and scored) before its fan-out."""

    time_from: datetime
    time_to: datetime


def considered_since(config: ScanConfig, now: datetime, collection: Collection | None = None) -> datetime:
    """The oldest bucket a fan-out considers (what it may send is the rest of the matching rules).

    Normally the active span before now (SEMANTICS §4): a signal is news while it is active, and an active
    one that no fan-out sent yet (its rule was made later, a run failed) is still sent. A collection that
    reaches further back than that also scored older buckets: a config's first collection scores the
    detector's whole history span (~28 days for 15-minute buckets), a run after downtime every bucket it
    missed. Of those, fan-out considers the ones within CATCH_UP_HORIZON (7 days, Simulate's default
    look-back) of the collection's end and never older ones: the last week of a new project is worth an
    alert (the demo's planted spike and drop sit 1 to 5 days before its end), a month of history is not."""
    since = now - active_span(config)
    if collection is not None and collection.time_from < since:
        since = min(since, max(collection.time_from, collection.time_to - CATCH_UP_HORIZON))
    return since


def active(session: Session, config: ScanConfig, now: datetime, since: datetime | None = None) -> list[Candidate]:
    """Open signals and drifts of `config` from `since` (default: the active span before now) up to now."""
    start = now - active_span(config) if since is None else since
    return load(session, Window([config.id], start, now), open_only=True)


def load(session: Session, window: Window, *, open_only: bool = False) -> list[Candidate]:
    names = _Names(session)
    out = [_signal(s, names) for s in session.execute(_signals(window, open_only))]
    out += [_schema_drift(d, names) for d in session.scalars(
        select(SchemaDrift).where(SchemaDrift.scan_config_id.in_(window.scan_config_ids),
                                  SchemaDrift.status == DriftStatus.open.value,
                                  SchemaDrift.last_seen_at >= window.start, SchemaDrift.detected_at < window.end))]
    out += [_distribution_drift(d, names) for d in session.scalars(
        select(DistributionDrift).where(DistributionDrift.scan_config_id.in_(window.scan_config_ids),
                                        DistributionDrift.band == SIGNIFICANT,
                                        DistributionDrift.window_end >= window.start,
                                        DistributionDrift.window_end <= window.end))]
    out += [_regression(r, names) for r in session.scalars(
        select(ReleaseRegression).where(ReleaseRegression.scan_config_id.in_(window.scan_config_ids),
                                        ReleaseRegression.detected_at >= window.start,
                                        ReleaseRegression.detected_at < window.end))]
    return sorted(out, key=lambda c: (c.bucket, c.scope, c.scope_ref))


# The columns a candidate needs, read as plain rows: a fan-out reads thousands of signals, and ORM objects
# (identity map, instance state) cost more than the rest of reading them.
_SIGNAL_COLUMNS = (AnomalySignal.id, AnomalySignal.scan_config_id, AnomalySignal.scope, AnomalySignal.scope_ref,
                   AnomalySignal.event_id, AnomalySignal.event_type_id, AnomalySignal.direction, AnomalySignal.bucket,
                   AnomalySignal.actual, AnomalySignal.expected, AnomalySignal.z)


def _signals(window: Window, open_only: bool) -> Select[*tuple[Any, ...]]:
    query = select(*_SIGNAL_COLUMNS).where(AnomalySignal.scan_config_id.in_(window.scan_config_ids),
                                           AnomalySignal.bucket >= window.start, AnomalySignal.bucket < window.end)
    return query.where(AnomalySignal.status == "open") if open_only else query


class _Names:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: dict[uuid.UUID, tuple[str, str | None]] = {}
        self.types: dict[uuid.UUID, str] = {}
        self.configs: dict[uuid.UUID, str] = {}

    def event(self, event_id: uuid.UUID | None) -> tuple[str | None, str | None]:
        if event_id is None:
            return None, None
        if event_id not in self.events:
            row = self.session.execute(select(Event.name, EventType.name).join(EventType)
                                       .where(Event.id == event_id)).first()
            self.events[event_id] = (row[0], row[1]) if row else (str(event_id), None)
        return self.events[event_id]

    def event_type(self, type_id: uuid.UUID | None) -> str | None:
        if type_id is None:
            return None
        if type_id not in self.types:
            self.types[type_id] = self.session.scalar(select(EventType.name).where(EventType.id == type_id)) \
                or str(type_id)
        return self.types[type_id]

    def config(self, config_id: uuid.UUID) -> str:
        if config_id not in self.configs:
            self.configs[config_id] = self.session.scalar(select(ScanConfig.name).where(
                ScanConfig.id == config_id)) or str(config_id)
        return self.configs[config_id]


def _signal(signal: Row[Any], names: _Names) -> Candidate:
    event, event_type = names.event(signal.event_id)
    event_type = event_type or names.event_type(signal.event_type_id)
    scope_name = {"event": event, "event_type": event_type}.get(signal.scope) or \
        f"{names.config(signal.scan_config_id)} (all events)"
    if signal.scope == FRESHNESS:  # the whole source fell (detection.roll_up_freshness)
        scope_name = f"{names.config(signal.scan_config_id)}: data stopped arriving or late (freshness)"
    return Candidate(kind="signal", source_id=str(signal.id), scan_config_id=signal.scan_config_id,
                     scope=signal.scope, scope_ref=signal.scope_ref, scope_name=scope_name,
                     direction=signal.direction, bucket=signal.bucket, actual=signal.actual,
                     expected=signal.expected, z=signal.z, event_type=event_type, event=event)


def _schema_drift(drift: SchemaDrift, names: _Names) -> Candidate:
    event_type = names.event_type(drift.event_type_id)
    assert drift.scan_config_id is not None
    return Candidate(kind="schema_drift", source_id=str(drift.id), scan_config_id=drift.scan_config_id,
                     scope="schema_drift", scope_ref=f"{drift.event_type_id}:{drift.field_name}:{drift.drift_type}",
                     scope_name=f"{event_type}.{drift.field_name} ({drift.drift_type})", direction=SPIKE,
                     bucket=drift.last_seen_at, event_type=event_type, drift_field=drift.field_name,
                     sample_value=drift.sample_value)


def _distribution_drift(drift: DistributionDrift, names: _Names) -> Candidate:
    event_type = names.event_type(drift.event_type_id)
    where = event_type or names.config(drift.scan_config_id)
    top = drift.top_changes[0] if drift.top_changes else {}
    return Candidate(kind="distribution_drift", source_id=str(drift.id), scan_config_id=drift.scan_config_id,
                     scope="distribution_drift", scope_ref=f"{drift.scope}:{drift.scope_ref}:{drift.field}",
                     scope_name=f"{where}: distribution of {drift.field} (PSI {drift.score:.2f})", direction=SPIKE,
                     bucket=drift.window_end, z=None, event_type=event_type, drift_field=drift.field,
                     sample_value=str(top.get("value")) if top.get("value") is not None else None)


def _regression(regression: ReleaseRegression, names: _Names) -> Candidate:
    event, event_type = names.event(regression.event_id)
    return Candidate(kind="release_regression", source_id=str(regression.id),
                     scan_config_id=regression.scan_config_id, scope="release_regression",
                     scope_ref=f"{regression.event_id}:{regression.version}",
                     scope_name=f"{event} on {regression.version} ({regression.kind})", direction=DROP,
                     bucket=regression.detected_at, actual=float(regression.observed), expected=regression.expected,
                     event_type=event_type, event=event)
