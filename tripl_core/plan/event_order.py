"""Ordering of events inside their type: dense (0, 1, 2…), set by reorder or moved one step at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import InvalidInput
from tripl_core.plan.branch_scope import PlanScope, require_ids
from tripl_core.plan.models import Event, EventType


def siblings(session: Session, event_type_id: uuid.UUID) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.event_type_id == event_type_id)
                                .order_by(Event.order, Event.name)))


def densify(session: Session, event_type_ids: Iterable[uuid.UUID]) -> None:
    """Renumbers each type's events 0..n-1 keeping their relative order (after deletes)."""
    for type_id in event_type_ids:
        for position, event in enumerate(siblings(session, type_id)):
            if event.order != position:
                event.order = position
    session.flush()


def reorder(session: Session, principal: Principal, scope: PlanScope, event_ids: Sequence[uuid.UUID]) -> list[Event]:
    """`event_ids` is the full list of one type's events in their new order."""
    if len(set(event_ids)) != len(event_ids):
        raise InvalidInput("event_ids lists an event more than once")
    require_ids(session, scope, Event, event_ids, "Events")
    type_ids = set(session.scalars(select(Event.event_type_id).where(Event.id.in_(list(event_ids)))))
    if len(type_ids) != 1:
        raise InvalidInput("Reorder the events of one event type at a time; event_ids spans several types")
    type_id = type_ids.pop()
    events = {e.id: e for e in siblings(session, type_id)}
    missing = [e.name for e in events.values() if e.id not in set(event_ids)]
    event_type = session.get(EventType, type_id)
    assert event_type is not None
    if missing:
        raise InvalidInput(f"event_ids must list every event of '{event_type.name}'; missing: "
                           f"{', '.join(missing[:20])}" + (" …" if len(missing) > 20 else ""))
    for position, event_id in enumerate(event_ids):
        events[event_id].order = position
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="event.reordered", entity_type="event_type",
                    entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Reordered the events of {event_type.name}")
    return [events[i] for i in event_ids]


def move(session: Session, principal: Principal, scope: PlanScope, event: Event, direction: str,
         visible_event_ids: Sequence[uuid.UUID] | None) -> Event:
    """Swaps the event with its neighbour in `direction`; with `visible_event_ids` (a filtered list), the
    neighbour is the next visible event. At either end nothing moves."""
    ordered = siblings(session, event.event_type_id)
    if visible_event_ids is not None:
        visible = set(visible_event_ids)
        if event.id not in visible:
            raise InvalidInput("visible_event_ids must include the event being moved")
        ordered = [e for e in ordered if e.id in visible]
    position = next(i for i, e in enumerate(ordered) if e.id == event.id)
    target = position - 1 if direction == "up" else position + 1
    if not 0 <= target < len(ordered):
        return event
    neighbour = ordered[target]
    event.order, neighbour.order = neighbour.order, event.order
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="event.moved", entity_type="event",
                    entity_id=event.id, entity_name=event.name,
                    summary=f"Moved event {event.name} {direction} (past {neighbour.name})")
    return event
