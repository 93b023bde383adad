"""Request and response shapes of alerting (the reference's `alerting` tag)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SecretStr

from tripl_core.alerting.models import DeliveryStatus, DestinationType, GroupStatus, MessageFormat
from tripl_core.schemas import RequestModel, ResponseModel

SECRET_FIELDS = ("webhook_url", "bot_token", "target_url", "webhook_header_value", "jira_api_token",
                 "linear_api_key")
PLAIN_FIELDS = ("chat_id", "webhook_header_name", "email_recipients", "email_from_address",
                "email_subject_template", "jira_base_url", "jira_auth_email", "jira_project_key",
                "jira_issue_type", "linear_team_id", "linear_state_id", "linear_label_ids")
MAX_EMAIL_RECIPIENTS = 50


def _name(default: Any = ...) -> Any:
    return Field(default, min_length=1, max_length=255, pattern=r"\S")


def _secret() -> Any:
    return Field(None, description="Write-only: stored encrypted, never returned; \"\" clears it.")


def _text(limit: int = 1000) -> Any:
    return Field(None, max_length=limit)


class _DestinationFields(RequestModel):
    webhook_url: SecretStr | None = _secret()
    bot_token: SecretStr | None = _secret()
    chat_id: str | None = _text(255)
    target_url: SecretStr | None = _secret()
    webhook_header_name: str | None = Field(None, max_length=255, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]*$")
    webhook_header_value: SecretStr | None = _secret()
    email_recipients: str | None = Field(None, max_length=20_000,
                                         description=f"Comma-separated addresses, at most {MAX_EMAIL_RECIPIENTS}.")
    email_from_address: str | None = _text(320)
    email_subject_template: str | None = _text(500)
    jira_base_url: str | None = _text(1000)
    jira_auth_email: str | None = _text(320)
    jira_api_token: SecretStr | None = _secret()
    jira_project_key: str | None = _text(64)
    jira_issue_type: str | None = _text(64)
    linear_api_key: SecretStr | None = _secret()
    linear_team_id: str | None = _text(255)
    linear_state_id: str | None = _text(255)
    linear_label_ids: str | None = Field(None, max_length=2000, description="Comma-separated label ids.")


class DestinationCreate(_DestinationFields):
    type: DestinationType
    name: str = _name()
    enabled: bool = True


class DestinationUpdate(_DestinationFields):
    """Absent or null fields are kept; a secret sent as "" is cleared."""

    name: str | None = _name(None)
    enabled: bool | None = None


FilterField = Literal["event_type", "event", "direction"]
FilterOp = Literal["eq", "ne", "in", "not_in"]


class RuleFilter(RequestModel):
    field: FilterField
    op: FilterOp
    values: list[str] = Field(min_length=1, max_length=500)


class RuleCreate(RequestModel):
    name: str = _name()
    enabled: bool = True
    include_project_total: bool = True
    include_event_types: bool = True
    include_events: bool = True
    include_schema_drifts: bool = False
    include_distribution_drifts: bool = False
    include_release_regressions: bool = False
    notify_on_spike: bool = True
    notify_on_drop: bool = True
    ai_explanation_enabled: bool = False
    min_percent_delta: float = Field(0, ge=0)
    min_absolute_delta: float = Field(0, ge=0)
    min_expected_count: float = Field(0, ge=0)
    cooldown_minutes: int = Field(1440, ge=1)
    message_template: str | None = Field(None, max_length=4000)
    items_template: str | None = Field(None, max_length=2000)
    message_format: MessageFormat = MessageFormat.plain
    filters: list[RuleFilter] = Field(default_factory=list, max_length=50)


class RuleUpdate(RequestModel):
    name: str | None = _name(None)
    enabled: bool | None = None
    include_project_total: bool | None = None
    include_event_types: bool | None = None
    include_events: bool | None = None
    include_schema_drifts: bool | None = None
    include_distribution_drifts: bool | None = None
    include_release_regressions: bool | None = None
    notify_on_spike: bool | None = None
    notify_on_drop: bool | None = None
    ai_explanation_enabled: bool | None = None
    min_percent_delta: float | None = Field(None, ge=0)
    min_absolute_delta: float | None = Field(None, ge=0)
    min_expected_count: float | None = Field(None, ge=0)
    cooldown_minutes: int | None = Field(None, ge=1)
    message_template: str | None = Field(None, max_length=4000)
    items_template: str | None = Field(None, max_length=2000)
    message_format: MessageFormat | None = None
    filters: list[RuleFilter] | None = Field(None, max_length=50)


class RuleOut(ResponseModel):
    id: uuid.UUID
    destination_id: uuid.UUID
    name: str
    enabled: bool
    include_project_total: bool
    include_event_types: bool
    include_events: bool
    include_schema_drifts: bool
    include_distribution_drifts: bool
    include_release_regressions: bool
    notify_on_spike: bool
    notify_on_drop: bool
    ai_explanation_enabled: bool
    min_percent_delta: float
    min_absolute_delta: float
    min_expected_count: float
    cooldown_minutes: int
    message_template: str | None
    items_template: str | None
    message_format: MessageFormat
    filters: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class DestinationOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    type: DestinationType
    name: str
    enabled: bool
    webhook_set: bool
    bot_token_set: bool
    chat_id: str | None
    target_url_set: bool
    webhook_header_name: str | None
    webhook_header_value_set: bool
    email_recipients: str | None
    email_from_address: str | None
    email_subject_template: str | None
    jira_base_url: str | None
    jira_auth_email: str | None
    jira_api_token_set: bool
    jira_project_key: str | None
    jira_issue_type: str | None
    linear_api_key_set: bool
    linear_team_id: str | None
    linear_state_id: str | None
    linear_label_ids: str | None
    rules: list[RuleOut]
    created_at: datetime
    updated_at: datetime


class DestinationTestOut(ResponseModel):
    ok: bool
    error: str | None
    sent_at: datetime | None


class DeliveryOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    scan_config_id: uuid.UUID | None
    scan_job_id: uuid.UUID | None
    destination_id: uuid.UUID
    rule_id: uuid.UUID
    destination_name: str
    rule_name: str
    scan_name: str | None
    status: DeliveryStatus
    channel: DestinationType
    matched_count: int
    payload_snapshot: dict[str, Any]
    error_message: str | None
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    items: list[dict[str, Any]]


class DeliveryPage(ResponseModel):
    items: list[DeliveryOut]
    total: int


MonitorStatus = Literal["firing", "warning", "healthy"]


class MonitorOut(ResponseModel):
    rule_id: uuid.UUID
    rule_name: str
    destination_id: uuid.UUID
    destination_name: str
    destination_type: str
    enabled: bool
    status: MonitorStatus
    active_scope_count: int
    firing_scope_count: int
    last_anomaly_at: datetime | None
    last_notified_at: datetime | None
    notify_on_spike: bool
    notify_on_drop: bool
    min_percent_delta: float
    min_expected_count: float
    cooldown_minutes: int
    muted: bool
    muted_until: datetime | None
    rule_enabled: bool
    destination_enabled: bool
    include_project_total: bool
    include_event_types: bool
    include_events: bool
    include_schema_drifts: bool
    include_distribution_drifts: bool
    include_release_regressions: bool
    total_deliveries: int
    last_delivery_at: datetime | None
    last_delivery_status: DeliveryStatus | None


class MonitorsSummary(ResponseModel):
    monitors: list[MonitorOut]
    firing_count: int
    warning_count: int
    healthy_count: int
    total: int


class MuteIn(RequestModel):
    muted_until: datetime


InboxAction = Literal["acknowledge", "resolve", "mute", "reopen", "false_positive"]


class InboxActionIn(RequestModel):
    action: InboxAction
    note: str | None = Field(None, max_length=2000)
    muted_until: datetime | None = None


class InboxItemOut(ResponseModel):
    correlation_group_id: uuid.UUID
    status: GroupStatus
    muted_until: datetime | None
    note: str | None
    false_positive_count: int
    item_count: int
    delivery_count: int
    latest_bucket: datetime
    latest_delivery_at: datetime | None
    direction: str
    scope_names: list[str]
    destination_names: list[str]
    rule_names: list[str]
    scan_names: list[str]
    acted_at: datetime | None
    acted_by: uuid.UUID | None


class InboxPage(ResponseModel):
    items: list[InboxItemOut]
    total: int


class SimulatedFiring(ResponseModel):
    at: datetime
    matched_count: int
    items: list[dict[str, Any]]


class SimulatedDay(ResponseModel):
    day: str
    firings: int
    items: int


class SimulationOut(ResponseModel):
    rule_id: uuid.UUID
    rule_name: str
    days: int
    window_from: datetime
    window_to: datetime
    anomalies_considered: int
    matched_before_cooldown: int
    firings: list[SimulatedFiring]
    per_day: list[SimulatedDay]
    noisy: bool
    cooldown_minutes_used: int
    cooldown_minutes_saved: int
    rendered_message: str | None
