from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from tripl_api.deps import CurrentPrincipal, DbSession, Offset
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.responses import PlainJSONResponse
from tripl_api.routing import api_router
from tripl_core.observe import plan_views
from tripl_core.pagination import Page, PageRequest
from tripl_core.plan import event_order, event_queries, events, history
from tripl_core.plan.event_schemas import (
    BulkDelete,
    BulkUpdate,
    BulkUpdateTags,
    EventCreate,
    EventFilters,
    EventOut,
    EventStatus,
    EventUpdate,
    HistoryEntryOut,
    Move,
    Reorder,
)

router = api_router("events", "/projects/{slug}/events")


@router.get("", response_model=Page[EventOut])
def list_events(
    scope: PlanReader, session: DbSession,
    event_type_id: uuid.UUID | None = None,
    search: Annotated[str | None, Query(max_length=500, description="In name or description, any case")] = None,
    status: Annotated[list[EventStatus] | None, Query(description="Any of; archived only when asked")] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    silent_since_days: Annotated[int | None, Query(ge=0, le=36_500,
                                                   description="No volume seen for this many days")] = None,
    field_value: Annotated[str | None, Query(max_length=1_000, description="Substring of a field value")] = None,
    meta_value: Annotated[str | None, Query(max_length=1_000, description="Substring of a meta value")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> Response:
    filters = EventFilters(event_type_id=event_type_id, search=search, status=status, tag=tag,
                           silent_since_days=silent_since_days, field_value=field_value, meta_value=meta_value)
    rows, total = event_queries.list_events(session, scope, filters, PageRequest(offset=offset, limit=limit))
    return PlainJSONResponse({"items": plan_views.describe_event_rows(session, rows), "total": total})


@router.post("", response_model=EventOut, status_code=201)
def create_event(body: EventCreate, scope: PlanWriter, principal: CurrentPrincipal, session: DbSession) -> EventOut:
    """Create an event in a type. A name taken in that type answers 409 naming the holder."""
    return plan_views.describe_events(session, events.create_many(session, principal, scope, [body], bulk=False))[0]


@router.get("/tags", response_model=list[str])
def list_tags(scope: PlanReader, session: DbSession) -> list[str]:
    """The distinct tags of the branch's events, sorted."""
    return event_queries.list_tags(session, scope)


@router.get("/by-name", response_model=EventOut)
def get_event_by_name(scope: PlanReader, session: DbSession, name: Annotated[str, Query(min_length=1,
                                                                                        max_length=500)],
                      event_type_id: uuid.UUID | None = None) -> EventOut:
    """The event with exactly this name in any type (409 when several types have one; pass event_type_id)."""
    return plan_views.describe_events(session, [event_queries.by_name(session, scope, name, event_type_id)])[0]


@router.post("/bulk", response_model=list[EventOut], status_code=201)
def bulk_create_events(body: list[EventCreate], scope: PlanWriter, principal: CurrentPrincipal,
                       session: DbSession) -> list[EventOut]:
    """Create many events: all or none; an error names the failing item ("Event 3 of 10: …")."""
    return plan_views.describe_events(session, events.create_many(session, principal, scope, body, bulk=True))


@router.post("/bulk-delete", status_code=204, response_class=Response)
def bulk_delete_events(body: BulkDelete, scope: PlanWriter, principal: CurrentPrincipal,
                       session: DbSession) -> Response:
    """Delete many events: all or none."""
    events.delete_many(session, principal, scope, body.event_ids, bulk=True)
    return Response(status_code=204)


@router.post("/bulk-update", response_model=list[EventOut])
def bulk_update_events(body: BulkUpdate, scope: PlanWriter, principal: CurrentPrincipal,
                       session: DbSession) -> list[EventOut]:
    """Set status, sunset date, owner or the reviewed mark of many events: all or none."""
    return plan_views.describe_events(session, events.update_many(session, principal, scope, body))


@router.post("/bulk-update-tags", response_model=list[EventOut])
def bulk_update_event_tags(body: BulkUpdateTags, scope: PlanWriter, principal: CurrentPrincipal,
                           session: DbSession) -> list[EventOut]:
    """`add` tags to, `remove` tags from, or `set` the tags of many events: all or none."""
    return plan_views.describe_events(session, events.update_tags(session, principal, scope, body.ids,
                                                            body.action.value, body.tags))


@router.patch("/reorder", response_model=list[EventOut])
def reorder_events(body: Reorder, scope: PlanWriter, principal: CurrentPrincipal,
                   session: DbSession) -> list[EventOut]:
    """Set the order of one type's events: `event_ids` lists all of them."""
    return plan_views.describe_events(session, event_order.reorder(session, principal, scope, body.event_ids))


@router.get("/{event_id}", response_model=EventOut)
def get_event(event_id: uuid.UUID, scope: PlanReader, session: DbSession) -> EventOut:
    return plan_views.describe_events(session, [events.get(session, scope, event_id)])[0]


@router.patch("/{event_id}", response_model=EventOut)
def update_event(event_id: uuid.UUID, body: EventUpdate, scope: PlanWriter, principal: CurrentPrincipal,
                 session: DbSession) -> EventOut:
    """Change an event; listed values are written as authored, `null`/`""` clears one (back to scans)."""
    event = events.get(session, scope, event_id)
    return plan_views.describe_events(session, [events.update(session, principal, scope, event, body)])[0]


@router.delete("/{event_id}", status_code=204, response_class=Response)
def delete_event(event_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                 session: DbSession) -> Response:
    events.delete_many(session, principal, scope, [events.get(session, scope, event_id).id], bulk=False)
    return Response(status_code=204)


@router.get("/{event_id}/history", response_model=list[HistoryEntryOut])
def get_event_history(event_id: uuid.UUID, scope: PlanReader, session: DbSession) -> list[HistoryEntryOut]:
    """Every change of the event, field by field (before → after), who, when; newest first."""
    return [HistoryEntryOut.model_validate(h)
            for h in history.list_for(session, events.get(session, scope, event_id).id)]


@router.patch("/{event_id}/move", response_model=EventOut)
def move_event(event_id: uuid.UUID, body: Move, scope: PlanWriter, principal: CurrentPrincipal,
               session: DbSession) -> EventOut:
    """Swap with the neighbour in `direction`, counting only `visible_event_ids` when given."""
    event = events.get(session, scope, event_id)
    moved = event_order.move(session, principal, scope, event, body.direction.value, body.visible_event_ids)
    return plan_views.describe_events(session, [moved])[0]
