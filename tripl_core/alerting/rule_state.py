"""What the live rules of a fan-out have done, as far as its candidates are concerned, read in one query
per question whatever the number of candidates (their ids and scopes travel as one parameter each, see
`db.value_lists`): which of these candidates each rule already delivered, when each of their scopes was
last delivered within the longest cooldown, the correlation groups still firing, the false-positive
thresholds. Never a rule's whole history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.alerting.models import AlertDeliveryItem, AlertRule, CorrelationGroup, GroupStatus
from tripl_core.analysis.matching import Candidate, MatchState, raised_threshold
from tripl_core.db.bulk import StoredForm
from tripl_core.db.value_lists import among
from tripl_core.metrics import anomaly_settings
from tripl_core.scan_configs.models import ScanConfig

SILENT = frozenset({GroupStatus.acknowledged.value, GroupStatus.resolved.value, GroupStatus.false_positive.value})

GroupKey = tuple[str, str, str]  # (scope, scope_ref, direction) within one rule and scan config


class Groups:
    """Correlation groups of one rule: those still firing (loaded, updated in place) and those this
    fan-out opens (kept as plain values, inserted at the end)."""

    def __init__(self, firing: dict[GroupKey, CorrelationGroup]) -> None:
        self.firing = firing
        self.opened: dict[GroupKey, OpenedGroup] = {}

    def touch(self, item: Candidate, form: StoredForm) -> Any:
        """Counts `item` in its group (opened if none fires); the group's id in stored form."""
        key = (item.scope, item.scope_ref, item.direction)
        group = self.firing.get(key)
        if group is not None:
            group.item_count += 1
            group.latest_bucket = max(group.latest_bucket, item.bucket)
            return form.uuid(group.id)
        opened = self.opened.get(key)
        if opened is None:
            opened = self.opened[key] = OpenedGroup(form.new_id(), item)
        opened.item_count += 1
        opened.latest_bucket = max(opened.latest_bucket, item.bucket)
        return opened.id


class OpenedGroup:
    """A group this fan-out opens: its first item says its scope and direction."""

    __slots__ = ("first", "id", "item_count", "latest_bucket")

    def __init__(self, group_id: str, first: Candidate) -> None:
        self.id, self.first = group_id, first
        self.item_count = 0
        self.latest_bucket = first.bucket


@dataclass
class RulesState:
    config_id: uuid.UUID
    delivered: dict[uuid.UUID, set[tuple[str, str]]]
    last_sent: dict[uuid.UUID, dict[tuple[str, str], datetime]]
    cooldowns: dict[uuid.UUID, timedelta]
    groups: dict[uuid.UUID, Groups]
    min_z: dict[tuple[str, str], float]

    @classmethod
    def load(cls, session: Session, config: ScanConfig, rules: Sequence[AlertRule], found: Sequence[Candidate],
             since: datetime, now: datetime) -> RulesState:
        rule_ids = [rule.id for rule in rules]
        cooldowns = {rule.id: timedelta(minutes=rule.cooldown_minutes) for rule in rules}
        return cls(config.id, _delivered(session, rule_ids, found),
                   _last_sent(session, rule_ids, found, now - max(cooldowns.values())),
                   cooldowns, _firing_groups(session, config, rule_ids, since), _min_z(session, config))

    def match_state(self, rule_id: uuid.UUID, now: datetime) -> MatchState:
        state = MatchState(delivered=self.delivered.get(rule_id, set()))
        cooldown_start = now - self.cooldowns[rule_id]
        for (scope, ref), last in self.last_sent.get(rule_id, {}).items():
            if last >= cooldown_start:
                state.last_sent[(self.config_id, scope, ref)] = last
        for (scope, ref, direction), group in self.groups.get(rule_id, Groups({})).firing.items():
            if _silent(group, now):
                state.suppressed.add((self.config_id, scope, ref, direction))
        state.min_z = {(self.config_id, scope, ref): z for (scope, ref), z in self.min_z.items()}
        return state


def _delivered(session: Session, rule_ids: list[uuid.UUID],
               found: Sequence[Candidate]) -> dict[uuid.UUID, set[tuple[str, str]]]:
    """Which of these candidates each rule already delivered: looked up by (rule, kind, source id), the
    unique key of delivery items, so the rows read are at most candidates × rules."""
    wanted = {(candidate.kind, candidate.source_id) for candidate in found}
    out: dict[uuid.UUID, set[tuple[str, str]]] = {}
    dialect = session.get_bind().dialect
    for rule_id, kind, source_id in session.execute(
            select(AlertDeliveryItem.rule_id, AlertDeliveryItem.source_kind, AlertDeliveryItem.source_id).where(
                AlertDeliveryItem.rule_id.in_(rule_ids),
                AlertDeliveryItem.source_kind.in_(sorted({kind for kind, _ in wanted})),
                among(AlertDeliveryItem.source_id, (source_id for _, source_id in wanted), dialect))):
        if (kind, source_id) in wanted:
            out.setdefault(rule_id, set()).add((kind, source_id))
    return out


def _last_sent(session: Session, rule_ids: list[uuid.UUID], found: Sequence[Candidate],
               since: datetime) -> dict[uuid.UUID, dict[tuple[str, str], datetime]]:
    """When each rule last delivered each of the candidates' scopes, if within the longest cooldown."""
    scopes = {(candidate.scope, candidate.scope_ref) for candidate in found}
    out: dict[uuid.UUID, dict[tuple[str, str], datetime]] = {}
    dialect = session.get_bind().dialect
    for rule_id, scope, ref, last in session.execute(
            select(AlertDeliveryItem.rule_id, AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref,
                   func.max(AlertDeliveryItem.created_at))
            .where(AlertDeliveryItem.rule_id.in_(rule_ids),
                   among(AlertDeliveryItem.scope_ref, (ref for _, ref in scopes), dialect),
                   AlertDeliveryItem.created_at >= since)
            .group_by(AlertDeliveryItem.rule_id, AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref)):
        if (scope, ref) in scopes:
            out.setdefault(rule_id, {})[(scope, ref)] = last
    return out


def _firing_groups(session: Session, config: ScanConfig, rule_ids: list[uuid.UUID],
                   since: datetime) -> dict[uuid.UUID, Groups]:
    """Groups still firing: their latest bucket is within what this fan-out considers. Older ones are
    closed incidents; a scope that fires again opens a new group."""
    firing: dict[uuid.UUID, dict[GroupKey, CorrelationGroup]] = {rule_id: {} for rule_id in rule_ids}
    for group in session.scalars(select(CorrelationGroup).where(
            CorrelationGroup.rule_id.in_(rule_ids), CorrelationGroup.scan_config_id == config.id,
            CorrelationGroup.latest_bucket >= since).order_by(CorrelationGroup.created_at)):
        firing[group.rule_id][(group.scope, group.scope_ref, group.direction)] = group
    return {rule_id: Groups(groups) for rule_id, groups in firing.items()}


def _min_z(session: Session, config: ScanConfig) -> dict[tuple[str, str], float]:
    """The |z| each scope of the config must reach, raised by its false positives (any rule's)."""
    sigma = anomaly_settings.peek(session, config.project_id).sigma_threshold
    return {(scope, ref): raised_threshold(sigma, int(false_positives)) for scope, ref, false_positives in
            session.execute(
                select(CorrelationGroup.scope, CorrelationGroup.scope_ref,
                       func.sum(CorrelationGroup.false_positive_count))
                .where(CorrelationGroup.scan_config_id == config.id, CorrelationGroup.false_positive_count > 0)
                .group_by(CorrelationGroup.scope, CorrelationGroup.scope_ref))}


def _silent(group: CorrelationGroup, now: datetime) -> bool:
    if group.status == GroupStatus.muted.value:
        return group.muted_until is None or group.muted_until > now
    return group.status in SILENT
