"""Alert deliveries: every role and key of the project reads them; retrying one needs an editor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from tripl_api.alerting_deps import AlertSender
from tripl_api.deps import DbSession, Offset, ProjectReader, ProjectWriter, State
from tripl_api.routing import api_router
from tripl_core.alerting import deliveries
from tripl_core.alerting.schemas import DeliveryOut, DeliveryPage
from tripl_core.db.units import commit_so_far

router = api_router("alerting", "/projects/{slug}/alert-deliveries")


@router.get("", response_model=DeliveryPage)
def list_alert_deliveries(project: ProjectReader, session: DbSession, status: str | None = None,
                          channel: str | None = None, destination_id: uuid.UUID | None = None,
                          rule_id: uuid.UUID | None = None, scan_config_id: uuid.UUID | None = None,
                          date_from: datetime | None = None, date_to: datetime | None = None,
                          offset: Offset = 0,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> DeliveryPage:
    filters = deliveries.DeliveryFilters(status, channel, destination_id, rule_id, scan_config_id, date_from, date_to)
    return deliveries.page(session, project, filters, offset, limit)


@router.get("/{delivery_id}", response_model=DeliveryOut)
def get_alert_delivery(delivery_id: uuid.UUID, project: ProjectReader, session: DbSession) -> DeliveryOut:
    return deliveries.describe(session, deliveries.get(session, project, delivery_id))


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
def retry_alert_delivery(delivery_id: uuid.UUID, project: ProjectWriter, session: DbSession, state: State,
                         sender: AlertSender) -> DeliveryOut:
    """Resends a failed delivery now (409 when it was sent or is being sent); answers its new state."""
    deliveries.retry_by_hand(session, deliveries.get(session, project, delivery_id), sender.clock())
    commit_so_far(session)  # the claim and the send happen in their own transactions
    deliveries.attempt(state.db, delivery_id, sender)
    session.expire_all()
    return deliveries.describe(session, deliveries.get(session, project, delivery_id))
