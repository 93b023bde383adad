"""Alert destinations and their rules. Reading them (no secret is ever returned) and simulating a rule
is open to every role and key of the project; creating, changing, deleting and test sends need an editor
(SEMANTICS §9: editors manage alerts) with a session or a write key."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from tripl_api.alerting_deps import AlertSender
from tripl_api.deps import DbSession, ProjectReader, ProjectWriter
from tripl_api.routing import api_router
from tripl_core.alerting import destinations, probe, rules
from tripl_core.alerting.schemas import (
    DestinationCreate,
    DestinationOut,
    DestinationTestOut,
    DestinationUpdate,
    RuleCreate,
    RuleOut,
    RuleUpdate,
    SimulationOut,
)
from tripl_core.alerting.simulate import simulate
from tripl_core.db.units import commit_so_far

router = api_router("alerting", "/projects/{slug}/alert-destinations")
DESTINATION = "/{destination_id}"
RULE = "/{destination_id}/rules/{rule_id}"


@router.get("", response_model=list[DestinationOut])
def list_alert_destinations(project: ProjectReader, session: DbSession, sender: AlertSender) -> list[DestinationOut]:
    return [destinations.describe(session, d, sender.box) for d in destinations.list_for(session, project)]


@router.post("", response_model=DestinationOut, status_code=201)
def create_alert_destination(body: DestinationCreate, project: ProjectWriter, session: DbSession,
                             sender: AlertSender) -> DestinationOut:
    """Secrets (URLs with tokens, tokens, API keys, header values) are encrypted and never returned."""
    made = destinations.create(session, sender.box, project, body, policy=sender.policy.outbound)
    return destinations.describe(session, made, sender.box)


@router.get(DESTINATION, response_model=DestinationOut)
def get_alert_destination(destination_id: uuid.UUID, project: ProjectReader, session: DbSession,
                          sender: AlertSender) -> DestinationOut:
    return destinations.describe(session, destinations.get(session, project, destination_id), sender.box)


@router.patch(DESTINATION, response_model=DestinationOut)
def update_alert_destination(destination_id: uuid.UUID, body: DestinationUpdate, project: ProjectWriter,
                             session: DbSession, sender: AlertSender) -> DestinationOut:
    """Absent fields are kept; a secret sent as "" is cleared."""
    destination = destinations.get(session, project, destination_id)
    destinations.update(session, sender.box, destination, body, policy=sender.policy.outbound)
    return destinations.describe(session, destination, sender.box)


@router.delete(DESTINATION, status_code=204, response_class=Response)
def delete_alert_destination(destination_id: uuid.UUID, project: ProjectWriter, session: DbSession) -> Response:
    destinations.delete(session, destinations.get(session, project, destination_id))
    return Response(status_code=204)


@router.post(DESTINATION + "/test", response_model=DestinationTestOut)
def test_alert_destination(destination_id: uuid.UUID, project: ProjectWriter, session: DbSession,
                           sender: AlertSender) -> DestinationTestOut:
    """Sends a sample message now; always 200, `ok: false` carries the channel's reason."""
    prepared = probe.prepare(destinations.get(session, project, destination_id), project.name, sender)
    commit_so_far(session)  # no transaction stays open while the channel answers
    return probe.send(prepared, sender.clock())


@router.post(DESTINATION + "/rules", response_model=RuleOut, status_code=201)
def create_alert_rule(destination_id: uuid.UUID, body: RuleCreate, project: ProjectWriter,
                      session: DbSession) -> RuleOut:
    """At least one of notify_on_spike / notify_on_drop; templates may only use the known variables."""
    rule = rules.create(session, destinations.get(session, project, destination_id), body)
    return RuleOut.model_validate(rule)


@router.patch(RULE, response_model=RuleOut)
def update_alert_rule(destination_id: uuid.UUID, rule_id: uuid.UUID, body: RuleUpdate, project: ProjectWriter,
                      session: DbSession) -> RuleOut:
    rule = rules.get(session, destinations.get(session, project, destination_id), rule_id)
    return RuleOut.model_validate(rules.update(session, rule, body))


@router.delete(RULE, status_code=204, response_class=Response)
def delete_alert_rule(destination_id: uuid.UUID, rule_id: uuid.UUID, project: ProjectWriter,
                      session: DbSession) -> Response:
    rules.delete(session, rules.get(session, destinations.get(session, project, destination_id), rule_id))
    return Response(status_code=204)


@router.post(RULE + "/simulate", response_model=SimulationOut, openapi_extra={"x-read-only": True})
def simulate_alert_rule(destination_id: uuid.UUID, rule_id: uuid.UUID, project: ProjectReader,
                        session: DbSession, sender: AlertSender,
                        days: Annotated[int, Query(ge=1, le=90)] = 7,
                        cooldown_minutes_override: Annotated[int | None, Query(ge=1)] = None) -> SimulationOut:
    """What the rule would have sent over the last `days` of stored signals and drifts (nothing is sent)."""
    destination = destinations.get(session, project, destination_id)
    rule = rules.get(session, destination, rule_id)
    return simulate(session, project, destination, rule, days, sender.clock(), cooldown_minutes_override)
