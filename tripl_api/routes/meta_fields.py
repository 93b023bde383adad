from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.plan import meta_fields
from tripl_core.plan.meta_field_schemas import MetaFieldCreate, MetaFieldOut, MetaFieldUpdate

router = api_router("meta-fields", "/projects/{slug}/meta-fields")


@router.get("", response_model=list[MetaFieldOut])
def list_meta_fields(scope: PlanReader, session: DbSession) -> list[MetaFieldOut]:
    return [MetaFieldOut.model_validate(m) for m in meta_fields.list_meta_fields(session, scope)]


@router.post("", response_model=MetaFieldOut, status_code=201)
def create_meta_field(body: MetaFieldCreate, scope: PlanWriter, principal: CurrentPrincipal,
                      session: DbSession) -> MetaFieldOut:
    """Add a project-wide field every event carries. A taken name answers 409."""
    return MetaFieldOut.model_validate(meta_fields.create(session, principal, scope, body))


@router.patch("/{meta_field_id}", response_model=MetaFieldOut)
def update_meta_field(meta_field_id: uuid.UUID, body: MetaFieldUpdate, scope: PlanWriter,
                      principal: CurrentPrincipal, session: DbSession) -> MetaFieldOut:
    meta_field = meta_fields.get(session, scope, meta_field_id)
    return MetaFieldOut.model_validate(meta_fields.update(session, principal, scope, meta_field, body))


@router.delete("/{meta_field_id}", status_code=204, response_class=Response)
def delete_meta_field(meta_field_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                      session: DbSession) -> Response:
    """Delete a meta field and every event's value for it."""
    meta_fields.delete_meta_field(session, principal, scope, meta_fields.get(session, scope, meta_field_id))
    return Response(status_code=204)
