"""Monitors: each rule with its live state (SEMANTICS §7).

firing — an open correlation group of the rule is still firing; warning — its groups still fire but
all are acknowledged or muted, or its last delivery failed; healthy — otherwise."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.alerting import candidates as candidate_reads
from tripl_core.alerting import rules
from tripl_core.alerting.models import (
    AlertDelivery,
    AlertDestination,
    AlertRule,
    CorrelationGroup,
    DeliveryStatus,
    GroupStatus,
)
from tripl_core.alerting.schemas import MonitorOut, MonitorsSummary, MuteIn
from tripl_core.errors import InvalidInput
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

QUIET = frozenset({GroupStatus.resolved.value, GroupStatus.false_positive.value})


def summary(session: Session, project: Project, now: datetime) -> MonitorsSummary:
    monitors = [describe(session, rule, now) for rule in rules.list_for(session, project)]
    counts: dict[str, int] = defaultdict(int)
    for monitor in monitors:
        counts[monitor.status] += 1
    return MonitorsSummary(monitors=monitors, firing_count=counts["firing"], warning_count=counts["warning"],
                           healthy_count=counts["healthy"], total=len(monitors))


def mute(session: Session, rule: AlertRule, data: MuteIn, now: datetime) -> AlertRule:
    if data.muted_until <= now:
        raise InvalidInput("muted_until must be in the future")
    rule.muted_until = data.muted_until
    session.flush()
    return rule


def unmute(session: Session, rule: AlertRule) -> AlertRule:
    rule.muted_until = None
    session.flush()
    return rule


def describe(session: Session, rule: AlertRule, now: datetime) -> MonitorOut:
    destination = session.get(AlertDestination, rule.destination_id)
    assert destination is not None
    active = _active_groups(session, rule, now)
    firing = {(g.scope, g.scope_ref) for g in active if _is_firing(g, now)}
    total, last_at = session.execute(select(func.count(), func.max(AlertDelivery.created_at))
                                     .where(AlertDelivery.rule_id == rule.id)).one()
    last = session.scalars(select(AlertDelivery).where(AlertDelivery.rule_id == rule.id)
                           .order_by(AlertDelivery.created_at.desc()).limit(1)).first()
    last_sent = session.scalar(select(func.max(AlertDelivery.sent_at)).where(AlertDelivery.rule_id == rule.id))
    last_anomaly = session.scalar(select(func.max(CorrelationGroup.latest_bucket))
                                  .where(CorrelationGroup.rule_id == rule.id))
    muted = rule.muted_until is not None and rule.muted_until > now
    status = "firing" if firing else "warning" if active or (last and last.status == DeliveryStatus.failed.value) \
        else "healthy"
    return MonitorOut(
        rule_id=rule.id, rule_name=rule.name, destination_id=destination.id, destination_name=destination.name,
        destination_type=destination.type, enabled=rule.enabled and destination.enabled and not muted,
        status=status, active_scope_count=len({(g.scope, g.scope_ref) for g in active}),
        firing_scope_count=len(firing), last_anomaly_at=last_anomaly, last_notified_at=last_sent,
        notify_on_spike=rule.notify_on_spike, notify_on_drop=rule.notify_on_drop,
        min_percent_delta=rule.min_percent_delta, min_expected_count=rule.min_expected_count,
        cooldown_minutes=rule.cooldown_minutes, muted=muted, muted_until=rule.muted_until if muted else None,
        rule_enabled=rule.enabled, destination_enabled=destination.enabled,
        include_project_total=rule.include_project_total, include_event_types=rule.include_event_types,
        include_events=rule.include_events, include_schema_drifts=rule.include_schema_drifts,
        include_distribution_drifts=rule.include_distribution_drifts,
        include_release_regressions=rule.include_release_regressions, total_deliveries=total,
        last_delivery_at=last_at, last_delivery_status=DeliveryStatus(last.status) if last else None)


def _active_groups(session: Session, rule: AlertRule, now: datetime) -> list[CorrelationGroup]:
    """Groups that still fire (latest bucket within their scan's active span), resolved ones aside."""
    rows = session.execute(select(CorrelationGroup, ScanConfig).join(ScanConfig)
                           .where(CorrelationGroup.rule_id == rule.id, CorrelationGroup.status.not_in(QUIET)))
    return [group for group, config in rows
            if group.latest_bucket >= now - candidate_reads.active_span(config)]


def _is_firing(group: CorrelationGroup, now: datetime) -> bool:
    if group.status == GroupStatus.muted.value:
        return group.muted_until is not None and group.muted_until <= now
    return group.status == GroupStatus.open.value
