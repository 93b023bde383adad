"""The plan as JSON Schema and tracking payloads checked against it (beyond the reference, SEMANTICS §15)."""

from __future__ import annotations

from typing import Any

from tripl_api.deps import DbSession
from tripl_api.plan_deps import PlanReader
from tripl_api.responses import PlainJSONResponse
from tripl_api.routing import api_router
from tripl_core.codegen import service
from tripl_core.codegen.schemas import ValidateEventsRequest, ValidationReport

router = api_router("export", "/projects/{slug}")


@router.get("/export/json-schema", response_model=dict[str, Any])
def export_json_schema(scope: PlanReader, session: DbSession) -> dict[str, Any]:
    """JSON Schema 2020-12 of the branch's event payloads, usable by any validator."""
    return service.schema(session, scope)


@router.post("/validate-events", response_model=ValidationReport, openapi_extra={"x-read-only": True})
def validate_events(body: ValidateEventsRequest, scope: PlanReader, session: DbSession) -> PlainJSONResponse:
    """Each payload checked with the scans' rules: unknown event, unknown or missing field, type, enum,
    regex, range."""
    return PlainJSONResponse(service.validate(session, scope, body.events))
