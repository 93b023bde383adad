"""Fan-out of one scan config (SEMANTICS §7): match its active signals and drifts to every live rule of
its project, keep correlation groups, write deliveries (one per rule and batch of items, with the exact
payload) in one transaction, then send them. Sending happens after the commit, with no transaction open."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.alerting import candidates as candidate_reads
from tripl_core.alerting import deliveries, templates
from tripl_core.alerting.channels import CHANNELS, Rendered
from tripl_core.alerting.models import (
    AlertDelivery,
    AlertDeliveryItem,
    AlertDestination,
    AlertRule,
    CorrelationGroup,
    DestinationType,
    GroupStatus,
    MessageFormat,
)
from tripl_core.analysis.matching import Candidate, MatchState, RuleView, batches, percent_label, raised_threshold
from tripl_core.analysis.matching import select as select_items
from tripl_core.db.engine import Database
from tripl_core.metrics.models import AnomalySettings
from tripl_core.plan.models import Project
from tripl_core.scans.models import ScanConfig

MAX_ITEMS_PER_DELIVERY = 25
DEFAULT_SIGMA = 4.0
SILENT = frozenset({GroupStatus.acknowledged.value, GroupStatus.resolved.value, GroupStatus.false_positive.value})


@dataclass
class FanOutResult:
    candidates: int = 0
    matched: int = 0
    deliveries: list[uuid.UUID] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {"alert_candidates": self.candidates, "alert_items_matched": self.matched,
                "deliveries_created": len(self.deliveries), **{f"deliveries_{k}": v for k, v in self.sent.items()}}


def fan_out(db: Database, scan_config_id: uuid.UUID, sender: deliveries.Sender, *,
            scan_job_id: uuid.UUID | None = None, send: bool = True) -> FanOutResult:
    result = FanOutResult()
    now = sender.clock()
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            return result
        found = candidate_reads.active(session, config, now)
        result.candidates = len(found)
        if found:
            for rule, destination in live_rules(session, config.project_id, now):
                made = _fan_rule(session, config, rule, destination, found, now, scan_job_id)
                result.matched += made[0]
                result.deliveries += made[1]
    if send:
        result.sent = deliveries.send_all(db, result.deliveries, sender)
    return result


def live_rules(session: Session, project_id: uuid.UUID, now: datetime) -> list[tuple[AlertRule, AlertDestination]]:
    rows = session.execute(
        select(AlertRule, AlertDestination).join(AlertDestination, AlertRule.destination_id == AlertDestination.id)
        .where(AlertRule.project_id == project_id, AlertRule.enabled.is_(True), AlertDestination.enabled.is_(True))
        .order_by(AlertRule.created_at, AlertRule.id))
    return [(rule, destination) for rule, destination in rows
            if rule.muted_until is None or rule.muted_until <= now]


def _fan_rule(session: Session, config: ScanConfig, rule: AlertRule, destination: AlertDestination,
              found: Sequence[Candidate], now: datetime, scan_job_id: uuid.UUID | None) -> tuple[int, list[uuid.UUID]]:
    groups = _current_groups(session, config, rule, now)
    state = _state(session, config, rule, groups, now)
    chosen = select_items(RuleView.of(rule), found, state, now)
    for item in chosen.matched:
        _touch_group(session, groups, config, rule, item)
    made = []
    for batch in batches(chosen.to_send, MAX_ITEMS_PER_DELIVERY):
        made.append(_create_delivery(session, config, rule, destination, batch, groups, scan_job_id))
    return len(chosen.matched), made


def _current_groups(session: Session, config: ScanConfig, rule: AlertRule,
                    now: datetime) -> dict[tuple[str, str, str], CorrelationGroup]:
    """Groups still firing: their latest bucket is within the active span. Older ones are closed
    incidents; a scope that fires again opens a new group."""
    since = now - candidate_reads.active_span(config)
    rows = session.scalars(select(CorrelationGroup).where(
        CorrelationGroup.rule_id == rule.id, CorrelationGroup.scan_config_id == config.id,
        CorrelationGroup.latest_bucket >= since).order_by(CorrelationGroup.created_at))
    return {(g.scope, g.scope_ref, g.direction): g for g in rows}


def _state(session: Session, config: ScanConfig, rule: AlertRule,
           groups: dict[tuple[str, str, str], CorrelationGroup], now: datetime) -> MatchState:
    state = MatchState()
    for scope, ref, last in session.execute(
            select(AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref, func.max(AlertDeliveryItem.created_at))
            .where(AlertDeliveryItem.rule_id == rule.id)
            .group_by(AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref)):
        state.last_sent[(config.id, scope, ref)] = last
    state.delivered = {(kind, source) for kind, source in session.execute(
        select(AlertDeliveryItem.source_kind, AlertDeliveryItem.source_id).where(AlertDeliveryItem.rule_id == rule.id))}
    for (scope, ref, direction), group in groups.items():
        if _silent(group, now):
            state.suppressed.add((config.id, scope, ref, direction))
    sigma = session.scalar(select(AnomalySettings.sigma_threshold).where(
        AnomalySettings.project_id == config.project_id)) or DEFAULT_SIGMA
    for scope, ref, false_positives in session.execute(
            select(CorrelationGroup.scope, CorrelationGroup.scope_ref, func.sum(CorrelationGroup.false_positive_count))
            .where(CorrelationGroup.scan_config_id == config.id, CorrelationGroup.false_positive_count > 0)
            .group_by(CorrelationGroup.scope, CorrelationGroup.scope_ref)):
        state.min_z[(config.id, scope, ref)] = raised_threshold(sigma, int(false_positives))
    return state


def _silent(group: CorrelationGroup, now: datetime) -> bool:
    if group.status == GroupStatus.muted.value:
        return group.muted_until is None or group.muted_until > now
    return group.status in SILENT


def _touch_group(session: Session, groups: dict[tuple[str, str, str], CorrelationGroup], config: ScanConfig,
                 rule: AlertRule, item: Candidate) -> None:
    key = (item.scope, item.scope_ref, item.direction)
    group = groups.get(key)
    if group is None:
        group = CorrelationGroup(id=uuid.uuid4(), project_id=config.project_id, scan_config_id=config.id,
                                 rule_id=rule.id,
                                 scope=item.scope, scope_ref=item.scope_ref, scope_name=item.scope_name[:1000],
                                 direction=item.direction, status=GroupStatus.open.value, item_count=0,
                                 false_positive_count=0, first_bucket=item.bucket, latest_bucket=item.bucket)
        session.add(group)
        groups[key] = group
    group.item_count += 1
    group.latest_bucket = max(group.latest_bucket, item.bucket)


def _create_delivery(session: Session, config: ScanConfig, rule: AlertRule, destination: AlertDestination,
                     batch: list[Candidate], groups: dict[tuple[str, str, str], CorrelationGroup],
                     scan_job_id: uuid.UUID | None) -> uuid.UUID:
    project = session.get(Project, config.project_id)
    assert project is not None
    rendered = render(project.name, destination.name, rule, config.name, batch, destination.settings)
    delivery = AlertDelivery(
        project_id=project.id, scan_config_id=config.id, scan_job_id=scan_job_id, destination_id=destination.id,
        rule_id=rule.id, destination_name=destination.name, rule_name=rule.name, scan_name=config.name,
        channel=destination.type, matched_count=len(batch), attempts=0, parts_sent=0,
        payload_snapshot=CHANNELS[DestinationType(destination.type)].build(rendered, dict(destination.settings)))
    session.add(delivery)
    session.flush()
    for item, details in zip(batch, rendered.items, strict=True):
        group = groups[(item.scope, item.scope_ref, item.direction)]
        session.add(AlertDeliveryItem(delivery_id=delivery.id, rule_id=rule.id, correlation_group_id=group.id,
                                      source_kind=item.kind, source_id=item.source_id, scope=item.scope,
                                      scope_ref=item.scope_ref, details=details, created_at=delivery.created_at))
    session.flush()
    return delivery.id


def render(project_name: str, destination_name: str, rule: AlertRule, scan_name: str | None,
           items: Sequence[Candidate], destination_settings: dict[str, object]) -> Rendered:
    message_format = MessageFormat(rule.message_format)
    item_values = [item_variables(item) for item in items]
    values = {"project_name": project_name, "rule_name": rule.name, "scan_name": scan_name or "",
              "matched_count": str(len(items))}
    text = templates.render(rule.message_template, rule.items_template, message_format, values, item_values)
    subject = templates.render_subject(destination_settings.get("email_subject_template"), values)  # type: ignore[arg-type]
    return Rendered(project=project_name, destination=destination_name, rule=rule.name, scan=scan_name,
                    matched_count=len(items), text=text, subject=subject, message_format=message_format,
                    items=[item_payload(item) for item in items])


def item_variables(item: Candidate) -> dict[str, str]:
    return {"scope_name": item.scope_name, "direction": item.direction,
            "actual_count": _count(item.actual), "expected_count": _count(item.expected),
            "percent_delta_label": percent_label(item), "bucket": item.bucket.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "drift_field": item.drift_field or "", "sample_value": item.sample_value or ""}


def item_payload(item: Candidate) -> dict[str, object]:
    return {"kind": item.kind, "source_id": item.source_id, "scope": item.scope, "scope_ref": item.scope_ref,
            "scope_name": item.scope_name, "direction": item.direction,
            "bucket": item.bucket.strftime("%Y-%m-%dT%H:%M:%SZ"), "actual_count": item.actual,
            "expected_count": item.expected, "percent_delta": item.percent_delta, "z": item.z,
            "event_type": item.event_type, "event": item.event, "drift_field": item.drift_field,
            "sample_value": item.sample_value}


def _count(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"
