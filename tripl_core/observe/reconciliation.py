"""Plan-vs-warehouse reconciliation (SEMANTICS §6): shadow events, dead events and coverage, all on main."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.observe.models import ObservedVolume, ShadowCandidate, ShadowStatus
from tripl_core.observe.schemas import (
    ArchiveDead,
    CoverageOut,
    CoverageRow,
    DeadEventList,
    DeadEventOut,
    ShadowAccept,
    ShadowEventList,
    ShadowEventOut,
)
from tripl_core.plan import events as event_service
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.event_schemas import BulkUpdate, EventCreate
from tripl_core.plan.models import Event, EventStatus, EventType

DEAD_STATUSES = (EventStatus.implemented.value, EventStatus.live.value)
INACTIVE = (EventStatus.archived.value, EventStatus.deprecated.value)


def _main_only(scope: PlanScope) -> None:
    if not scope.is_main:
        raise Conflict("Reconciliation compares the main branch with the warehouse; call it without ?branch")


# -- shadow events ---------------------------------------------------------------------------------
def list_shadows(session: Session, scope: PlanScope, status: ShadowStatus | None, limit: int) -> ShadowEventList:
    """Candidates with `status`; without it, every candidate that is not dismissed. Heaviest first."""
    query = select(ShadowCandidate).where(ShadowCandidate.project_id == scope.project_id)
    query = query.where(ShadowCandidate.status == status.value) if status is not None else \
        query.where(ShadowCandidate.status != ShadowStatus.dismissed.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    new_count = session.scalar(select(func.count()).where(ShadowCandidate.project_id == scope.project_id,
                                                          ShadowCandidate.status == ShadowStatus.new.value)) or 0
    rows = session.scalars(query.order_by(ShadowCandidate.volume.desc(), ShadowCandidate.identity).limit(limit))
    return ShadowEventList(items=[ShadowEventOut.model_validate(c) for c in rows], total=total, new_count=new_count)


def get_shadow(session: Session, scope: PlanScope, candidate_id: uuid.UUID) -> ShadowCandidate:
    candidate = session.get(ShadowCandidate, candidate_id)
    if candidate is None or candidate.project_id != scope.project_id:
        raise NotFound(f"Shadow event {candidate_id} not found in project '{scope.project.slug}'")
    return candidate


def accept_shadow(session: Session, principal: Principal, scope: PlanScope, candidate: ShadowCandidate,
                  body: ShadowAccept) -> Event:
    """Creates the event (status `implemented`: the warehouse already has it, so the next scan makes it
    live) in the candidate's type or `event_type_id`, named `name` or the identity."""
    _main_only(scope)
    if candidate.status == ShadowStatus.accepted.value and candidate.event_id is not None:
        raise Conflict(f"Shadow event {candidate.id} was already accepted as event {candidate.event_id}")
    type_id = body.event_type_id or candidate.event_type_id
    if type_id is None:
        raise InvalidInput(f"Event type '{candidate.event_type_name}' is not in the plan; give event_type_id")
    get_row(session, scope, EventType, type_id, "Event type")
    created = EventCreate(event_type_id=type_id, name=body.name or candidate.identity,
                          status=EventStatus.implemented,
                          description=f"Accepted from a shadow event seen {candidate.volume} times in the warehouse.")
    event = event_service.create_many(session, principal, scope, [created], bulk=False)[0]
    if type_id == candidate.event_type_id:
        event.source_name = candidate.identity
    event.last_seen_at = candidate.last_seen_at
    candidate.status, candidate.event_id, candidate.updated_at = ShadowStatus.accepted.value, event.id, utcnow()
    session.flush()
    return event


def dismiss_shadow(session: Session, principal: Principal, scope: PlanScope, candidate: ShadowCandidate) -> None:
    """Hidden from the list; the same identity stays hidden, another identity is a new candidate."""
    _main_only(scope)
    candidate.status, candidate.updated_at = ShadowStatus.dismissed.value, utcnow()
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="shadow_event.dismissed",
                    entity_type="shadow_event", entity_id=candidate.id, entity_name=candidate.identity,
                    summary=f"Dismissed shadow event {candidate.event_type_name}/{candidate.identity}")


# -- dead events -----------------------------------------------------------------------------------
def dead_events(session: Session, scope: PlanScope, days: int) -> DeadEventList:
    """`implemented`/`live` events with no data for `days` days; a never-seen one once it is that old."""
    now = utcnow()
    cutoff = now - timedelta(days=days)
    rows = session.execute(
        select(Event, EventType.name).join(EventType, EventType.id == Event.event_type_id)
        .where(Event.branch_id == scope.branch_id, Event.status.in_(DEAD_STATUSES),
               or_(Event.last_seen_at < cutoff, and_(Event.last_seen_at.is_(None), Event.created_at < cutoff)))
        .order_by(func.coalesce(Event.last_seen_at, Event.created_at), EventType.name, Event.name)).all()
    items = [DeadEventOut(id=e.id, name=e.name, event_type_id=e.event_type_id, event_type_name=type_name,
                          status=e.status, last_seen_at=e.last_seen_at, created_at=e.created_at,
                          days_silent=(now - (e.last_seen_at or e.created_at)).days) for e, type_name in rows]
    return DeadEventList(items=items, total=len(items), days=days)


def archive_dead(session: Session, principal: Principal, scope: PlanScope, body: ArchiveDead) -> list[Event]:
    """Sets the status (default `archived`) of the given events in one all-or-nothing update, with history."""
    _main_only(scope)
    return event_service.update_many(session, principal, scope, BulkUpdate(event_ids=body.event_ids,
                                                                            status=body.status))


# -- coverage --------------------------------------------------------------------------------------
def coverage(session: Session, scope: PlanScope, days: int, scan_config_id: uuid.UUID | None) -> CoverageOut:
    """Per event type and in total over the last `days` UTC days: the share of warehouse volume whose
    identity matched a planned (not archived) event, and the share of active planned events seen."""
    start = (utcnow() - timedelta(days=days - 1)).date()
    query = (select(ObservedVolume.event_type_name, ObservedVolume.event_id, func.sum(ObservedVolume.count))
             .where(ObservedVolume.project_id == scope.project_id, ObservedVolume.day >= start)
             .group_by(ObservedVolume.event_type_name, ObservedVolume.event_id))
    if scan_config_id is not None:
        query = query.where(ObservedVolume.scan_config_id == scan_config_id)
    volumes = session.execute(query).all()
    types = {t.name: t for t in session.scalars(select(EventType).where(EventType.branch_id == scope.branch_id))}
    events = session.execute(select(Event.id, Event.event_type_id, Event.status)
                             .where(Event.branch_id == scope.branch_id)).all()
    status = {event_id: state for event_id, _, state in events}
    active: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for event_id, type_id, state in events:
        if state not in INACTIVE:
            active[type_id].add(event_id)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seen: set[uuid.UUID] = set()
    for type_name, matched_id, count in volumes:  # matched_id: None where the identity matched no event
        totals[type_name][0] += int(count or 0)
        if matched_id is not None and status.get(matched_id) not in (None, EventStatus.archived.value):
            totals[type_name][1] += int(count or 0)
            if count:
                seen.add(matched_id)
    names = sorted(set(totals) | {name for name, t in types.items() if active[t.id]})
    items = [_row(types.get(name), name, totals[name], active[types[name].id] if name in types else set(), seen)
             for name in names]
    summary = _row(None, "all", [sum(i.total_volume for i in items), sum(i.planned_volume for i in items)],
                   set().union(*active.values()) if active else set(), seen)
    return CoverageOut(items=items, summary=summary, days=days)


def _row(event_type: EventType | None, name: str, volume: list[int], active: set[uuid.UUID],
         seen: set[uuid.UUID]) -> CoverageRow:
    total, planned = volume
    seen_active = len(active & seen)
    return CoverageRow(event_type_id=event_type.id if event_type is not None else None, event_type_name=name,
                       total_volume=total, planned_volume=planned,
                       volume_coverage=round(planned / total, 4) if total else None,
                       active_events=len(active), seen_events=seen_active,
                       event_coverage=round(seen_active / len(active), 4) if active else None)
