"""Monitors (rules with their live state) and the alert inbox (correlation groups). Every role and key
of the project reads them; muting, unmuting and inbox actions need an editor."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from tripl_api.alerting_deps import AlertSender
from tripl_api.deps import DbSession, Offset, ProjectReader, ProjectWriter
from tripl_api.routing import api_router
from tripl_core.alerting import inbox, monitors, rules
from tripl_core.alerting.schemas import InboxActionIn, InboxItemOut, InboxPage, MonitorOut, MonitorsSummary, MuteIn

router = api_router("alerting", "/projects/{slug}")


@router.get("/monitors-summary", response_model=MonitorsSummary)
def get_monitors_summary(project: ProjectReader, session: DbSession, sender: AlertSender) -> MonitorsSummary:
    return monitors.summary(session, project, sender.clock())


@router.get("/monitors/{rule_id}", response_model=MonitorOut)
def get_monitor(rule_id: uuid.UUID, project: ProjectReader, session: DbSession, sender: AlertSender) -> MonitorOut:
    return monitors.describe(session, rules.get_in_project(session, project, rule_id), sender.clock())


@router.post("/monitors/{rule_id}/mute", response_model=MonitorOut)
def mute_monitor(rule_id: uuid.UUID, body: MuteIn, project: ProjectWriter, session: DbSession,
                 sender: AlertSender) -> MonitorOut:
    """The rule sends nothing until `muted_until` (must be in the future)."""
    rule = monitors.mute(session, rules.get_in_project(session, project, rule_id), body, sender.clock())
    return monitors.describe(session, rule, sender.clock())


@router.post("/monitors/{rule_id}/unmute", response_model=MonitorOut)
def unmute_monitor(rule_id: uuid.UUID, project: ProjectWriter, session: DbSession, sender: AlertSender) -> MonitorOut:
    rule = monitors.unmute(session, rules.get_in_project(session, project, rule_id))
    return monitors.describe(session, rule, sender.clock())


@router.get("/alert-inbox", response_model=InboxPage)
def list_alert_inbox(project: ProjectReader, session: DbSession, status: str | None = None,
                     offset: Offset = 0,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> InboxPage:
    return inbox.page(session, project, status, offset, limit)


@router.post("/alert-inbox/{correlation_group_id}/actions", response_model=InboxItemOut)
def apply_alert_inbox_action(correlation_group_id: uuid.UUID, body: InboxActionIn, request: Request,
                             project: ProjectWriter, session: DbSession, sender: AlertSender) -> InboxItemOut:
    """acknowledge / resolve / mute (until `muted_until`, default 24 h) / reopen / false_positive (raises
    the scope's threshold a notch); `note` is kept. Only open groups send deliveries."""
    group = inbox.get(session, project, correlation_group_id)
    inbox.act(session, group, body, request.state.principal.user.id, sender.clock())
    return inbox.describe(session, group)
