from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from tripl_api.deps import CurrentPrincipal, DbSession
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.observe import reconciliation
from tripl_core.observe.models import ShadowStatus
from tripl_core.observe.schemas import (
    ArchiveDead,
    ArchiveDeadOut,
    CoverageOut,
    DeadEventList,
    ShadowAccept,
    ShadowAcceptOut,
    ShadowDismissOut,
    ShadowEventList,
)

router = api_router("reconciliation", "/projects/{slug}/reconciliation")


@router.get("/shadow-events", response_model=ShadowEventList)
def list_shadow_events(scope: PlanReader, session: DbSession, status: ShadowStatus | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ShadowEventList:
    """Identities seen in the warehouse that the plan lacks; without `status`, all but dismissed ones."""
    return reconciliation.list_shadows(session, scope, status, limit)


@router.post("/shadow-events/{candidate_id}/accept", response_model=ShadowAcceptOut)
def accept_shadow_event(candidate_id: uuid.UUID, body: ShadowAccept, scope: PlanWriter,
                        principal: CurrentPrincipal, session: DbSession) -> ShadowAcceptOut:
    """Creates the event, optionally in another event type and with another name."""
    candidate = reconciliation.get_shadow(session, scope, candidate_id)
    event = reconciliation.accept_shadow(session, principal, scope, candidate, body)
    return ShadowAcceptOut(candidate_id=candidate.id, event_id=event.id, status=candidate.status)


@router.post("/shadow-events/{candidate_id}/dismiss", response_model=ShadowDismissOut)
def dismiss_shadow_event(candidate_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                         session: DbSession) -> ShadowDismissOut:
    candidate = reconciliation.get_shadow(session, scope, candidate_id)
    reconciliation.dismiss_shadow(session, principal, scope, candidate)
    return ShadowDismissOut(candidate_id=candidate.id, status=candidate.status)


@router.get("/dead-events", response_model=DeadEventList)
def list_dead_events(scope: PlanReader, session: DbSession,
                     days: Annotated[int, Query(ge=1, le=365)] = 30) -> DeadEventList:
    """`implemented` or `live` events with no data for `days` days (never-seen ones once that old)."""
    return reconciliation.dead_events(session, scope, days)


@router.post("/dead-events/archive", response_model=ArchiveDeadOut)
def archive_dead_events(body: ArchiveDead, scope: PlanWriter, principal: CurrentPrincipal,
                        session: DbSession) -> ArchiveDeadOut:
    """Sets the status of the given events (default `archived`), all or nothing, with history."""
    updated = reconciliation.archive_dead(session, principal, scope, body)
    return ArchiveDeadOut(event_ids=[e.id for e in updated], status=body.status.value, archived_count=len(updated))


@router.get("/coverage", response_model=CoverageOut)
def get_coverage(scope: PlanReader, session: DbSession, days: Annotated[int, Query(ge=1, le=180)] = 14,
                 scan_config_id: uuid.UUID | None = None) -> CoverageOut:
    """Share of warehouse volume matching planned events, and of active planned events seen, per type."""
    return reconciliation.coverage(session, scope, days, scan_config_id)
