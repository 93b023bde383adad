"""Owners of event types: the users answerable for a folder of events."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.models import EventType, EventTypeOwner
from tripl_core.plan.type_schemas import OwnerOut


def list_owners(session: Session, event_type: EventType) -> list[OwnerOut]:
    rows = session.execute(select(EventTypeOwner, User).join(User, User.id == EventTypeOwner.user_id)
                           .where(EventTypeOwner.event_type_id == event_type.id)
                           .order_by(EventTypeOwner.created_at, User.email))
    return [_out(owner, user) for owner, user in rows]


def add(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
        user_id: uuid.UUID) -> OwnerOut:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput(f"User {user_id} does not exist")
    holder = session.scalar(select(EventTypeOwner).where(EventTypeOwner.event_type_id == event_type.id,
                                                         EventTypeOwner.user_id == user_id))
    if holder is not None:
        raise Conflict(f"{user.email} already owns event type '{event_type.name}' (owner id {holder.id})")
    owner = EventTypeOwner(branch_id=scope.branch_id, event_type_id=event_type.id, user_id=user_id,
                           granted_by=principal.user.id)
    session.add(owner)
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="event_type.owner_added",
                    entity_type="event_type", entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Made {user.email} an owner of {event_type.name}")
    return _out(owner, user)


def remove(session: Session, principal: Principal, scope: PlanScope, event_type: EventType,
           owner_id: uuid.UUID) -> None:
    owner = session.get(EventTypeOwner, owner_id)
    if owner is None or owner.event_type_id != event_type.id:
        raise NotFound(f"Owner {owner_id} not found on event type '{event_type.name}'")
    user = session.get(User, owner.user_id)
    activity.record(session, scope.project, actor=principal, kind="event_type.owner_removed",
                    entity_type="event_type", entity_id=event_type.id, entity_name=event_type.name,
                    summary=f"Removed {user.email if user else owner.user_id} from the owners of {event_type.name}")
    session.delete(owner)
    session.flush()


def _out(owner: EventTypeOwner, user: User) -> OwnerOut:
    return OwnerOut(id=owner.id, event_type_id=owner.event_type_id, user_id=owner.user_id, user_email=user.email,
                    user_name=user.name, granted_by=owner.granted_by, created_at=owner.created_at)
