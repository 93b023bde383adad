"""Alert destinations: per-project channels whose secrets are encrypted at rest and never returned."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.alerting import templates
from tripl_core.alerting.models import AlertDestination, AlertRule, DestinationType
from tripl_core.alerting.schemas import (
    MAX_EMAIL_RECIPIENTS,
    PLAIN_FIELDS,
    SECRET_FIELDS,
    DestinationCreate,
    DestinationOut,
    DestinationUpdate,
    RuleOut,
)
from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.outbound import OutboundPolicy, OutboundRefused, check_url
from tripl_core.plan.models import Project
from tripl_core.security import SecretBox

DEFAULT_JIRA_ISSUE_TYPE = "Task"
REQUIRED: dict[DestinationType, tuple[str, ...]] = {
    DestinationType.slack: ("webhook_url",),
    DestinationType.telegram: ("bot_token", "chat_id"),
    DestinationType.webhook: ("target_url",),
    DestinationType.email: ("email_recipients", "email_from_address"),
    DestinationType.jira: ("jira_base_url", "jira_auth_email", "jira_api_token", "jira_project_key"),
    DestinationType.linear: ("linear_api_key", "linear_team_id"),
}
URL_FIELDS = ("webhook_url", "target_url", "jira_base_url")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def list_for(session: Session, project: Project) -> list[AlertDestination]:
    return list(session.scalars(select(AlertDestination).where(AlertDestination.project_id == project.id)
                                .order_by(AlertDestination.name)))


def get(session: Session, project: Project, destination_id: uuid.UUID) -> AlertDestination:
    destination = session.get(AlertDestination, destination_id)
    if destination is None or destination.project_id != project.id:
        raise NotFound(f"Alert destination {destination_id} not found in project '{project.slug}'")
    return destination


def create(session: Session, box: SecretBox, project: Project, data: DestinationCreate, *,
           policy: OutboundPolicy) -> AlertDestination:
    _ensure_name_free(session, project, data.name)
    destination = AlertDestination(project_id=project.id, type=data.type.value, name=data.name, enabled=data.enabled,
                                   settings={})
    _apply(destination, box, data, policy=policy)
    session.add(destination)
    session.flush()
    return destination


def update(session: Session, box: SecretBox, destination: AlertDestination, data: DestinationUpdate, *,
           policy: OutboundPolicy) -> AlertDestination:
    if data.name is not None and data.name != destination.name:
        project = session.get(Project, destination.project_id)
        assert project is not None
        _ensure_name_free(session, project, data.name)
        destination.name = data.name
    if data.enabled is not None:
        destination.enabled = data.enabled
    _apply(destination, box, data, policy=policy)
    session.flush()
    return destination


def delete(session: Session, destination: AlertDestination) -> None:
    session.delete(destination)
    session.flush()


def secrets_of(destination: AlertDestination, box: SecretBox) -> dict[str, str]:
    if not destination.secrets_encrypted:
        return {}
    decoded: dict[str, str] = json.loads(box.decrypt(destination.secrets_encrypted))
    return decoded


def describe(session: Session, destination: AlertDestination, box: SecretBox) -> DestinationOut:
    configured = secrets_of(destination, box).keys()
    rules = session.scalars(select(AlertRule).where(AlertRule.destination_id == destination.id)
                            .order_by(AlertRule.created_at, AlertRule.id))
    plain = {name: destination.settings.get(name) for name in PLAIN_FIELDS}
    return DestinationOut(
        id=destination.id, project_id=destination.project_id, type=DestinationType(destination.type),
        name=destination.name, enabled=destination.enabled, webhook_set="webhook_url" in configured,
        bot_token_set="bot_token" in configured, target_url_set="target_url" in configured,
        webhook_header_value_set="webhook_header_value" in configured,
        jira_api_token_set="jira_api_token" in configured, linear_api_key_set="linear_api_key" in configured,
        rules=[RuleOut.model_validate(rule) for rule in rules], created_at=destination.created_at,
        updated_at=destination.updated_at, **plain,
    )


def _apply(destination: AlertDestination, box: SecretBox, data: DestinationCreate | DestinationUpdate, *,
           policy: OutboundPolicy) -> None:
    """Plain fields sent replace the stored ones; secrets sent are set ("" clears), others are kept."""
    given = data.model_dump(exclude_unset=True, exclude_none=True)
    settings = dict(destination.settings)
    for name in PLAIN_FIELDS:
        if name in given:
            settings[name] = given[name] or None
    secrets = secrets_of(destination, box)
    for name in SECRET_FIELDS:
        value = getattr(data, name)
        if value is None:
            continue
        if value.get_secret_value():
            secrets[name] = value.get_secret_value()
        else:
            secrets.pop(name, None)
    destination_type = DestinationType(destination.type)
    if destination_type is DestinationType.jira and not settings.get("jira_issue_type"):
        settings["jira_issue_type"] = DEFAULT_JIRA_ISSUE_TYPE
    _validate(destination_type, {**settings, **secrets}, policy)
    destination.settings = settings
    destination.secrets_encrypted = box.encrypt(json.dumps(secrets)) if secrets else None


def _validate(destination_type: DestinationType, values: dict[str, Any], policy: OutboundPolicy) -> None:
    missing = [name for name in REQUIRED[destination_type] if not values.get(name)]
    if missing:
        raise InvalidInput(f"A {destination_type.value} destination needs {', '.join(missing)}")
    for name in URL_FIELDS:
        if values.get(name):
            try:  # names that do not resolve here are judged again when a message is sent
                check_url(values[name], policy, what=name, resolve=False)
            except OutboundRefused as refused:
                raise InvalidInput(refused.message, details=[{"loc": ["body", name], "message": refused.message,
                                                              "type": "outbound_refused"}]) from refused
    if values.get("email_recipients"):
        recipients(values["email_recipients"])
    if values.get("email_from_address") and not _EMAIL.match(values["email_from_address"]):
        raise InvalidInput("email_from_address is not an email address")
    templates.validate(values.get("email_subject_template"), templates.MESSAGE_VARIABLES - {"items_text"},
                       "email_subject_template")
    if values.get("webhook_header_value") and not values.get("webhook_header_name"):
        raise InvalidInput("webhook_header_value needs webhook_header_name")


def recipients(raw: str) -> list[str]:
    found = [part.strip() for part in re.split(r"[,;\s]+", raw) if part.strip()]
    bad = [address for address in found if not _EMAIL.match(address)]
    if bad:
        raise InvalidInput(f"email_recipients: not email addresses: {', '.join(bad[:5])}")
    if not found or len(found) > MAX_EMAIL_RECIPIENTS:
        raise InvalidInput(f"email_recipients: give 1 to {MAX_EMAIL_RECIPIENTS} addresses (got {len(found)})")
    return found


def _ensure_name_free(session: Session, project: Project, name: str) -> None:
    taken = session.scalar(select(AlertDestination.id).where(AlertDestination.project_id == project.id,
                                                            AlertDestination.name == name))
    if taken is not None:
        raise Conflict(f"An alert destination named '{name}' already exists in this project")
