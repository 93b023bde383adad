from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.plan import event_types, owners
from tripl_core.plan.type_schemas import EventTypeCreate, EventTypeOut, EventTypeUpdate, OwnerAdd, OwnerOut

router = api_router("event-types", "/projects/{slug}/event-types")
owners_router = api_router("event-type-owners", "/projects/{slug}/event-types/{event_type_id}/owners")


@router.get("", response_model=list[EventTypeOut])
def list_event_types(scope: PlanReader, session: DbSession) -> list[EventTypeOut]:
    """Event types of the branch with their field definitions, in order."""
    return event_types.describe(session, event_types.list_types(session, scope))


@router.post("", response_model=EventTypeOut, status_code=201)
def create_event_type(body: EventTypeCreate, scope: PlanWriter, principal: CurrentPrincipal,
                      session: DbSession) -> EventTypeOut:
    """Create an event type, optionally with its field definitions. A taken name answers 409."""
    return event_types.describe(session, [event_types.create(session, principal, scope, body)])[0]


@router.get("/{event_type_id}", response_model=EventTypeOut)
def get_event_type(event_type_id: uuid.UUID, scope: PlanReader, session: DbSession) -> EventTypeOut:
    return event_types.describe(session, [event_types.get(session, scope, event_type_id)])[0]


@router.patch("/{event_type_id}", response_model=EventTypeOut)
def update_event_type(event_type_id: uuid.UUID, body: EventTypeUpdate, scope: PlanWriter,
                      principal: CurrentPrincipal, session: DbSession) -> EventTypeOut:
    event_type = event_types.get(session, scope, event_type_id)
    return event_types.describe(session, [event_types.update(session, principal, scope, event_type, body)])[0]


@router.delete("/{event_type_id}", status_code=204, response_class=Response)
def delete_event_type(event_type_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                      session: DbSession) -> Response:
    """Delete an event type with its fields, events and relations."""
    event_types.delete_type(session, principal, scope, event_types.get(session, scope, event_type_id))
    return Response(status_code=204)


@owners_router.get("", response_model=list[OwnerOut])
def list_owners(event_type_id: uuid.UUID, scope: PlanReader, session: DbSession) -> list[OwnerOut]:
    return owners.list_owners(session, event_types.get(session, scope, event_type_id))


@owners_router.post("", response_model=OwnerOut, status_code=201)
def add_owner(event_type_id: uuid.UUID, body: OwnerAdd, scope: PlanWriter, principal: CurrentPrincipal,
              session: DbSession) -> OwnerOut:
    """Make a user an owner of the event type (409 if they already are)."""
    return owners.add(session, principal, scope, event_types.get(session, scope, event_type_id), body.user_id)


@owners_router.delete("/{owner_id}", status_code=204, response_class=Response)
def remove_owner(event_type_id: uuid.UUID, owner_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                 session: DbSession) -> Response:
    owners.remove(session, principal, scope, event_types.get(session, scope, event_type_id), owner_id)
    return Response(status_code=204)
