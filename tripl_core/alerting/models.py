"""What alerting stores (SEMANTICS §7).

A destination keeps its plain settings in `settings` and its secrets (URLs that embed tokens, tokens,
API keys, header values) as one Fernet-encrypted JSON blob in `secrets_encrypted`. A delivery keeps the
exact payload it sends (`payload_snapshot`, never a secret: URLs and tokens are added at send time) and
is claimed (`claim_token`, `claimed_at`) before every attempt so that two senders never send it both."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripl_core.db.base import Base, IdMixin, JSONDict, JSONList, TimestampMixin, utcnow


class DestinationType(StrEnum):
    slack = "slack"
    telegram = "telegram"
    webhook = "webhook"
    email = "email"
    jira = "jira"
    linear = "linear"


class MessageFormat(StrEnum):
    plain = "plain"
    slack_mrkdwn = "slack_mrkdwn"
    telegram_html = "telegram_html"
    telegram_markdownv2 = "telegram_markdownv2"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class GroupStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    muted = "muted"
    false_positive = "false_positive"


class AlertDestination(IdMixin, TimestampMixin, Base):
    __tablename__ = "alert_destinations"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    secrets_encrypted: Mapped[str | None] = mapped_column(Text)


class AlertRule(IdMixin, TimestampMixin, Base):
    __tablename__ = "alert_rules"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    destination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_destinations.id", ondelete="CASCADE"),
                                                      index=True)
    name: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    include_project_total: Mapped[bool] = mapped_column(Boolean, default=True)
    include_event_types: Mapped[bool] = mapped_column(Boolean, default=True)
    include_events: Mapped[bool] = mapped_column(Boolean, default=True)
    include_schema_drifts: Mapped[bool] = mapped_column(Boolean, default=False)
    include_distribution_drifts: Mapped[bool] = mapped_column(Boolean, default=False)
    include_release_regressions: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_on_spike: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_on_drop: Mapped[bool] = mapped_column(Boolean, default=True)
    ai_explanation_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    min_percent_delta: Mapped[float] = mapped_column(Float, default=0.0)
    min_absolute_delta: Mapped[float] = mapped_column(Float, default=0.0)
    min_expected_count: Mapped[float] = mapped_column(Float, default=0.0)
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    message_template: Mapped[str | None] = mapped_column(Text)
    items_template: Mapped[str | None] = mapped_column(Text)
    message_format: Mapped[str] = mapped_column(String(24), default=MessageFormat.plain.value)
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSONList, default=list)
    muted_until: Mapped[datetime | None]


class CorrelationGroup(IdMixin, TimestampMixin, Base):
    """One incident of a rule: a (scan, rule, scope, direction) that keeps firing bucket after bucket.
    `scope_ref` identifies the scope within its kind (an event id, a drift's type and field…)."""

    __tablename__ = "alert_correlation_groups"
    __table_args__ = (Index("ix_alert_correlation_groups_key", "rule_id", "scan_config_id", "scope", "scope_ref",
                            "direction"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    scan_config_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_configs.id", ondelete="CASCADE"))
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(24))
    scope_ref: Mapped[str] = mapped_column(String(255))
    scope_name: Mapped[str] = mapped_column(String(1000))
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=GroupStatus.open.value, index=True)
    muted_until: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    false_positive_count: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    first_bucket: Mapped[datetime]
    latest_bucket: Mapped[datetime]
    acted_at: Mapped[datetime | None]
    acted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AlertDelivery(IdMixin, TimestampMixin, Base):
    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_project_created", "project_id", "created_at"),
                      Index("ix_alert_deliveries_retry", "status", "next_attempt_at"))

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    scan_config_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scan_configs.id", ondelete="SET NULL"))
    scan_job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    destination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_destinations.id", ondelete="CASCADE"),
                                                      index=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    destination_name: Mapped[str] = mapped_column(String(255))
    rule_name: Mapped[str] = mapped_column(String(255))
    scan_name: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    matched_count: Mapped[int] = mapped_column(Integer)
    payload_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    error_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class AlertDeliveryItem(IdMixin, Base):
    """One matched signal or drift in a delivery. (`rule_id`, `source_kind`, `source_id`) is unique, so a
    signal reaches a rule's destination at most once however often fan-out runs."""

    __tablename__ = "alert_delivery_items"
    __table_args__ = (UniqueConstraint("rule_id", "source_kind", "source_id"),
                      Index("ix_alert_delivery_items_cooldown", "rule_id", "scope", "scope_ref", "created_at"))

    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_deliveries.id", ondelete="CASCADE"),
                                                   index=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    correlation_group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alert_correlation_groups.id", ondelete="SET NULL"), index=True)
    source_kind: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(24))
    scope_ref: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
