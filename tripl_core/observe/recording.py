"""What a catalog scan records besides the plan, inside its write transaction: schema drifts (raised once
while open; a snoozed one reopens once its snooze ended), shadow-event candidates, and daily volumes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.analysis.identity import ObservedEvent
from tripl_core.analysis.schema_drift import ContractOutcome, DeclaredField, Finding, judge_type
from tripl_core.observe.models import DriftStatus, ObservedVolume, SchemaDrift, ShadowCandidate, ShadowStatus
from tripl_core.observe.observations import Observation, PlanWrite
from tripl_core.plan.models import FieldDefinition

MAX_SOURCE_NAMES = 500


@dataclass(frozen=True)
class DriftTally:
    raised: int
    reopened: int
    outcomes: list[tuple[str, ContractOutcome]]  # (event type name, outcome)


def declared_fields(fields: Sequence[FieldDefinition]) -> list[DeclaredField]:
    return [DeclaredField(f.name, f.field_type, f.is_required, tuple(f.enum_options or ()),
                          f.contract_required_max_null_rate, f.contract_regex, f.contract_min_value,
                          f.contract_max_value, f.contract_max_bad_rate or 0.0) for f in fields]


def record_drifts(session: Session, project_id: uuid.UUID, scan_config_id: uuid.UUID, plan: PlanWrite,
                  obs: Observation, now: datetime) -> DriftTally:
    types = {t.id: name for name, t in plan.types.items()}
    fields: dict[uuid.UUID, list[FieldDefinition]] = defaultdict(list)
    for f in session.scalars(select(FieldDefinition).where(FieldDefinition.event_type_id.in_(list(types)))):
        fields[f.event_type_id].append(f)
    # The newest drift of each (type, field, kind) wins: read oldest first, later ones overwrite.
    existing: dict[tuple[uuid.UUID, str, str], SchemaDrift] = {
        (d.event_type_id, d.field_name, d.drift_type): d
        for d in session.scalars(select(SchemaDrift).where(SchemaDrift.event_type_id.in_(list(types)))
                                 .order_by(SchemaDrift.detected_at))}
    seen_on, samples = _where_seen(obs.plan.events)
    raised = reopened = 0
    outcomes: list[tuple[str, ContractOutcome]] = []
    for type_id, name in types.items():
        findings, judged = judge_type(obs.type_rows.get(name, 0), declared_fields(fields[type_id]),
                                      obs.observed.get(name, {}), obs.measures.get(name, {}),
                                      report_new=type_id not in plan.discovered_fields)
        outcomes += [(name, outcome) for outcome in judged]
        for finding in findings:
            drift = existing.get((type_id, finding.field_name, finding.drift_type))
            where = seen_on.get((name, finding.field_name), []) if _per_event(finding) else []
            sample = finding.sample_value or samples.get((name, finding.field_name))
            if drift is None:
                session.add(SchemaDrift(project_id=project_id, event_type_id=type_id, scan_config_id=scan_config_id,
                                        field_name=finding.field_name, drift_type=finding.drift_type,
                                        observed_type=finding.observed_type, declared_type=finding.declared_type,
                                        sample_value=sample, details=finding.details, source_names=where,
                                        detected_at=now, last_seen_at=now))
                raised += 1
                continue
            if _snooze_over(drift, now):
                drift.status, drift.snoozed_until, drift.resolved_at, drift.resolved_by = "open", None, None, None
                reopened += 1
            _refresh(drift, finding, sample, where, now)
    session.flush()
    return DriftTally(raised, reopened, outcomes)


def _snooze_over(drift: SchemaDrift, now: datetime) -> bool:
    return drift.status == DriftStatus.snoozed.value and (drift.snoozed_until is None or drift.snoozed_until <= now)


def _per_event(finding: Finding) -> bool:
    return finding.drift_type in ("new_field", "type_changed")


def _refresh(drift: SchemaDrift, finding: Finding, sample: str | None, where: list[str], now: datetime) -> None:
    if drift.status not in (DriftStatus.open.value, DriftStatus.snoozed.value):
        return  # accepted and false-positive drifts are settled; a person may reopen them
    drift.observed_type, drift.declared_type = finding.observed_type, finding.declared_type
    drift.sample_value, drift.details, drift.source_names = sample, finding.details, where
    drift.last_seen_at = now


def _where_seen(events: Sequence[ObservedEvent]) -> tuple[dict[tuple[str, str], list[str]],
                                                          dict[tuple[str, str], str]]:
    seen_on: dict[tuple[str, str], list[str]] = defaultdict(list)
    samples: dict[tuple[str, str], str] = {}
    for event in events:
        for label, values in event.fields.items():
            if values.present == 0:
                continue
            key = (event.event_type, label)
            if len(seen_on[key]) < MAX_SOURCE_NAMES:
                seen_on[key].append(event.identity)
            if key not in samples and values.values:
                samples[key] = min(values.values)
    return seen_on, samples


def record_shadows(session: Session, project_id: uuid.UUID, scan_config_id: uuid.UUID, plan: PlanWrite,
                   obs: Observation, now: datetime) -> int:
    """Unplanned identities become (or refresh) candidates; candidates the plan now holds are accepted."""
    candidates = {(c.event_type_name, c.identity): c for c in session.scalars(
        select(ShadowCandidate).where(ShadowCandidate.project_id == project_id))}
    created = 0
    for event in plan.shadows:
        candidate = candidates.get((event.event_type, event.identity))
        if candidate is None:
            candidate = ShadowCandidate(project_id=project_id, event_type_name=event.event_type,
                                        identity=event.identity, first_seen_at=event.first_seen, sample_rows=[])
            session.add(candidate)
            created += 1
        elif candidate.status == ShadowStatus.accepted.value and candidate.event_id is None:
            candidate.status = ShadowStatus.new.value  # the event it was accepted as has been deleted
        event_type = plan.types.get(event.event_type)
        candidate.scan_config_id = scan_config_id
        candidate.event_type_id = event_type.id if event_type is not None else None
        candidate.volume, candidate.last_seen_at = event.count, event.last_seen or now
        if candidate.first_seen_at is None or (event.first_seen and event.first_seen < candidate.first_seen_at):
            candidate.first_seen_at = event.first_seen
        rows = obs.samples.get((event.event_type, event.identity))
        if rows:
            candidate.sample_rows = rows
        candidate.updated_at = now
    for key, matched in plan.matched.items():
        candidate = candidates.get(key)
        if candidate is not None and candidate.status == ShadowStatus.new.value:
            candidate.status, candidate.event_id, candidate.updated_at = ShadowStatus.accepted.value, matched.id, now
    session.flush()
    return created


def record_volumes(session: Session, project_id: uuid.UUID, scan_config_id: uuid.UUID, plan: PlanWrite,
                   obs: Observation) -> int:
    """Daily rows per identity. A day the scan window cut (its first) never lowers a full count read before."""
    if not obs.daily:
        return 0
    first = min(day for _, _, day in obs.daily)
    partial = obs.window.start.date() if obs.window is not None else None
    existing = {(v.event_type_name, v.identity, v.day): v for v in session.scalars(
        select(ObservedVolume).where(ObservedVolume.scan_config_id == scan_config_id, ObservedVolume.day >= first))}
    for (type_name, name, day), count in obs.daily.items():
        matched = plan.matched.get((type_name, name))
        row = existing.get((type_name, name, day))
        if row is None:
            row = ObservedVolume(project_id=project_id, scan_config_id=scan_config_id, event_type_name=type_name,
                                 identity=name, day=day, count=0)
            session.add(row)
        row.count = max(row.count, count) if day == partial else count
        row.event_id = matched.id if matched is not None else None
    session.flush()
    return len(obs.daily)

