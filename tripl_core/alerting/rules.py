"""Alert rules of a destination: defaults and validation of SEMANTICS §7."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.alerting import templates
from tripl_core.alerting.models import AlertDestination, AlertRule
from tripl_core.alerting.schemas import RuleCreate, RuleUpdate
from tripl_core.errors import InvalidInput, NotFound
from tripl_core.plan.models import Project


def get(session: Session, destination: AlertDestination, rule_id: uuid.UUID) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.destination_id != destination.id:
        raise NotFound(f"Alert rule {rule_id} not found on destination {destination.id}")
    return rule


def get_in_project(session: Session, project: Project, rule_id: uuid.UUID) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.project_id != project.id:
        raise NotFound(f"Monitor (alert rule) {rule_id} not found in project '{project.slug}'")
    return rule


def list_for(session: Session, project: Project) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).where(AlertRule.project_id == project.id)
                                .order_by(AlertRule.name, AlertRule.id)))


def create(session: Session, destination: AlertDestination, data: RuleCreate) -> AlertRule:
    values = data.model_dump()
    values["message_format"] = data.message_format.value
    rule = AlertRule(project_id=destination.project_id, destination_id=destination.id, **values)
    _validate(rule)
    session.add(rule)
    session.flush()
    return rule


def update(session: Session, rule: AlertRule, data: RuleUpdate) -> AlertRule:
    """Absent or null fields are kept; a template sent as "" goes back to the default."""
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(rule, key, value)
    if data.message_format is not None:
        rule.message_format = data.message_format.value
    for name in ("message_template", "items_template"):
        if getattr(rule, name) == "":
            setattr(rule, name, None)
    _validate(rule)
    session.flush()
    return rule


def delete(session: Session, rule: AlertRule) -> None:
    session.delete(rule)
    session.flush()


def _validate(rule: AlertRule) -> None:
    if not (rule.notify_on_spike or rule.notify_on_drop):
        raise InvalidInput("A rule must notify on spikes, drops or both (notify_on_spike / notify_on_drop)")
    templates.validate(rule.message_template, templates.MESSAGE_VARIABLES, "message_template")
    templates.validate(rule.items_template, templates.ITEM_VARIABLES, "items_template")
