from __future__ import annotations

import uuid

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.observe import schema_drifts
from tripl_core.observe.schemas import DriftAction, DriftList, DriftOut
from tripl_core.plan import event_types

router = api_router("event-types", "/projects/{slug}/event-types")


@router.get("/{event_type_id}/drifts", response_model=DriftList)
def list_event_type_drifts(event_type_id: uuid.UUID, scope: PlanReader, session: DbSession) -> DriftList:
    """Schema drifts scans raised on the event type (main branch), newest first, whatever their status."""
    items = schema_drifts.list_for_type(session, event_types.get(session, scope, event_type_id))
    return DriftList(items=[DriftOut.model_validate(d) for d in items], total=len(items))


@router.post("/drifts/{drift_id}/actions", response_model=DriftOut)
def apply_schema_drift_action(drift_id: uuid.UUID, body: DriftAction, scope: PlanWriter,
                              principal: CurrentPrincipal, session: DbSession) -> DriftOut:
    """accept (a new field is added, a type change retypes the field, a missing field is deleted), snooze
    (until `snoozed_until`, default 7 days), false_positive, or reopen; each with an optional note."""
    drift = schema_drifts.get(session, scope, drift_id)
    return DriftOut.model_validate(schema_drifts.apply_action(session, principal, scope, drift, body))
