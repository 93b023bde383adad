from __future__ import annotations

import uuid

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.observe import contexts, plan_views
from tripl_core.observe.schemas import VariableValueOut
from tripl_core.plan import variables
from tripl_core.plan.variable_schemas import VariableCreate, VariableOut, VariableUpdate

router = api_router("variables", "/projects/{slug}/variables")


@router.get("", response_model=list[VariableOut])
def list_variables(scope: PlanReader, session: DbSession) -> list[VariableOut]:
    """Variables of the branch with their usage: `event_count` (events whose values use the variable) and the
    contexts scans observed (`context_count`, `low_context_count`, `high_context_count`, `sample_values`)."""
    return plan_views.describe_variables(session, scope, variables.list_variables(session, scope))


@router.post("", response_model=VariableOut, status_code=201)
def create_variable(body: VariableCreate, scope: PlanWriter, principal: CurrentPrincipal,
                    session: DbSession) -> VariableOut:
    return plan_views.describe_variables(session, scope, [variables.create(session, principal, scope, body)])[0]


@router.get("/{variable_id}/values", response_model=list[VariableValueOut])
def list_variable_values(variable_id: uuid.UUID, scope: PlanReader, session: DbSession) -> list[VariableValueOut]:
    """Where scans observed the variable: event, field, source column, low/high, observed count, values."""
    return contexts.list_values(session, variables.get(session, scope, variable_id))


@router.patch("/{variable_id}", response_model=VariableOut)
def update_variable(variable_id: uuid.UUID, body: VariableUpdate, scope: PlanWriter, principal: CurrentPrincipal,
                    session: DbSession) -> VariableOut:
    """Renaming rewrites `${old}` to `${new}` in every field and meta value of the branch."""
    variable = variables.update(session, principal, scope, variables.get(session, scope, variable_id), body)
    return plan_views.describe_variables(session, scope, [variable])[0]


@router.delete("/{variable_id}", status_code=204, response_class=Response)
def delete_variable(variable_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                    session: DbSession) -> Response:
    variables.delete_variable(session, principal, scope, variables.get(session, scope, variable_id))
    return Response(status_code=204)
