from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.plan import relations
from tripl_core.plan.relation_schemas import RelationCreate, RelationOut

router = api_router("relations", "/projects/{slug}/relations")


@router.get("", response_model=list[RelationOut])
def list_relations(scope: PlanReader, session: DbSession) -> list[RelationOut]:
    return [RelationOut.model_validate(r) for r in relations.list_relations(session, scope)]


@router.post("", response_model=RelationOut, status_code=201)
def create_relation(body: RelationCreate, scope: PlanWriter, principal: CurrentPrincipal,
                    session: DbSession) -> RelationOut:
    """Link two event types through one field each; all four ids must be of this project and branch."""
    return RelationOut.model_validate(relations.create(session, principal, scope, body))


@router.delete("/{relation_id}", status_code=204, response_class=Response)
def delete_relation(relation_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                    session: DbSession) -> Response:
    relations.delete_relation(session, principal, scope, relations.get(session, scope, relation_id))
    return Response(status_code=204)
