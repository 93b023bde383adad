"""The alert inbox: correlation groups and the actions people take on them (SEMANTICS §7)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.alerting.models import (
    AlertDelivery,
    AlertDeliveryItem,
    AlertDestination,
    AlertRule,
    CorrelationGroup,
    GroupStatus,
)
from tripl_core.alerting.schemas import InboxActionIn, InboxItemOut, InboxPage
from tripl_core.errors import InvalidInput, NotFound
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

DEFAULT_MUTE = timedelta(hours=24)
ACTION_STATUS = {"acknowledge": GroupStatus.acknowledged, "resolve": GroupStatus.resolved,
                 "mute": GroupStatus.muted, "reopen": GroupStatus.open, "false_positive": GroupStatus.false_positive}


def get(session: Session, project: Project, group_id: uuid.UUID) -> CorrelationGroup:
    group = session.get(CorrelationGroup, group_id)
    if group is None or group.project_id != project.id:
        raise NotFound(f"Correlation group {group_id} not found in project '{project.slug}'")
    return group


def page(session: Session, project: Project, status: str | None, offset: int, limit: int) -> InboxPage:
    if status is not None and status not in GroupStatus.__members__:
        raise InvalidInput(f"status must be one of {', '.join(GroupStatus.__members__)}")
    query = select(CorrelationGroup).where(CorrelationGroup.project_id == project.id)
    if status is not None:
        query = query.where(CorrelationGroup.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    groups = session.scalars(query.order_by(CorrelationGroup.latest_bucket.desc(), CorrelationGroup.id)
                             .offset(offset).limit(limit))
    return InboxPage(items=[describe(session, group) for group in groups], total=total)


def act(session: Session, group: CorrelationGroup, data: InboxActionIn, user_id: uuid.UUID,
        now: datetime) -> CorrelationGroup:
    if data.action == "mute":
        until = data.muted_until or now + DEFAULT_MUTE
        if until <= now:
            raise InvalidInput("muted_until must be in the future")
        group.muted_until = until
    else:
        group.muted_until = None
    if data.action == "false_positive" and group.status != GroupStatus.false_positive.value:
        group.false_positive_count += 1  # raises the scope's threshold a notch (matching.raised_threshold)
    group.status = ACTION_STATUS[data.action].value
    if data.note is not None:
        group.note = data.note
    group.acted_at, group.acted_by = now, user_id
    session.flush()
    return group


def describe(session: Session, group: CorrelationGroup) -> InboxItemOut:
    deliveries = select(AlertDelivery.id, AlertDelivery.created_at).join(
        AlertDeliveryItem, AlertDeliveryItem.delivery_id == AlertDelivery.id).where(
        AlertDeliveryItem.correlation_group_id == group.id).distinct().subquery()
    count, latest = session.execute(select(func.count(), func.max(deliveries.c.created_at))).one()
    rule_name, destination_name = session.execute(
        select(AlertRule.name, AlertDestination.name).join(AlertDestination)
        .where(AlertRule.id == group.rule_id)).one()
    scan_name = session.scalar(select(ScanConfig.name).where(ScanConfig.id == group.scan_config_id))
    return InboxItemOut(
        correlation_group_id=group.id, status=GroupStatus(group.status), muted_until=group.muted_until,
        note=group.note, false_positive_count=group.false_positive_count, item_count=group.item_count,
        delivery_count=count, latest_bucket=group.latest_bucket, latest_delivery_at=latest,
        direction=group.direction, scope_names=[group.scope_name], destination_names=[destination_name],
        rule_names=[rule_name], scan_names=[scan_name] if scan_name else [], acted_at=group.acted_at,
        acted_by=group.acted_by)
