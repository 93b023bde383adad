from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.plan import event_types, fields
from tripl_core.plan.type_schemas import FieldBulkCreate, FieldCreate, FieldOut, FieldReorder, FieldUpdate

router = api_router("fields", "/projects/{slug}/event-types/{event_type_id}/fields")


@router.get("", response_model=list[FieldOut])
def list_fields(event_type_id: uuid.UUID, scope: PlanReader, session: DbSession) -> list[FieldOut]:
    fs = fields.list_fields(session, event_types.get(session, scope, event_type_id))
    return [FieldOut.model_validate(f) for f in fs]


@router.post("", response_model=FieldOut, status_code=201)
def create_field(event_type_id: uuid.UUID, body: FieldCreate, scope: PlanWriter, principal: CurrentPrincipal,
                 session: DbSession) -> FieldOut:
    """Add a field; enum options and contracts must fit its type. A taken name answers 409."""
    event_type = event_types.get(session, scope, event_type_id)
    return FieldOut.model_validate(fields.create(session, principal, scope, event_type, [body])[0])


@router.post("/bulk", response_model=list[FieldOut], status_code=201)
def bulk_create_fields(event_type_id: uuid.UUID, body: FieldBulkCreate, scope: PlanWriter,
                       principal: CurrentPrincipal, session: DbSession) -> list[FieldOut]:
    """Add several fields at once: all or none; an error names the failing field."""
    event_type = event_types.get(session, scope, event_type_id)
    return [FieldOut.model_validate(f) for f in fields.create(session, principal, scope, event_type, body.fields)]


@router.patch("/reorder", response_model=list[FieldOut])
def reorder_fields(event_type_id: uuid.UUID, body: FieldReorder, scope: PlanWriter, principal: CurrentPrincipal,
                   session: DbSession) -> list[FieldOut]:
    """Set the order of the type's fields: `field_ids` lists all of them."""
    event_type = event_types.get(session, scope, event_type_id)
    return [FieldOut.model_validate(f) for f in fields.reorder(session, principal, scope, event_type,
                                                               body.field_ids)]


@router.patch("/{field_id}", response_model=FieldOut)
def update_field(event_type_id: uuid.UUID, field_id: uuid.UUID, body: FieldUpdate, scope: PlanWriter,
                 principal: CurrentPrincipal, session: DbSession) -> FieldOut:
    """Change a field; `null` clears enum options and contracts."""
    event_type = event_types.get(session, scope, event_type_id)
    field = fields.get(session, event_type, field_id)
    return FieldOut.model_validate(fields.update(session, principal, scope, event_type, field, body))


@router.delete("/{field_id}", status_code=204, response_class=Response)
def delete_field(event_type_id: uuid.UUID, field_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                 session: DbSession) -> Response:
    """Delete a field with every event's value for it and the relations through it."""
    event_type = event_types.get(session, scope, event_type_id)
    fields.delete_field(session, principal, scope, event_type, fields.get(session, event_type, field_id))
    return Response(status_code=204)
