"""Fan-out of one scan config (SEMANTICS §7): match its active signals and drifts to every live rule of
its project, keep correlation groups, write deliveries (one per rule and batch of items, with the exact
payload) in one transaction, then send them. Sending happens after the commit, with no transaction open.

What is considered: `candidates.considered_since` (the active span before now; a collection reaching
further back, like a config's first one, adds its buckets of the last 7 days, never older history).
The rules' state is read in a few queries bounded by the candidates (never the rules' whole history):
which of these candidates each rule already delivered, when each of their scopes was last delivered
within the longest cooldown, the groups still firing. Groups, deliveries and items are written with one
multi-row INSERT each."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from tripl_core.alerting import candidates as candidate_reads
from tripl_core.alerting import deliveries, templates
from tripl_core.alerting.candidates import Collection
from tripl_core.alerting.channels import CHANNELS, Rendered
from tripl_core.alerting.models import (
    AlertDelivery,
    AlertDeliveryItem,
    AlertDestination,
    AlertRule,
    CorrelationGroup,
    DeliveryStatus,
    DestinationType,
    GroupStatus,
    MessageFormat,
)
from tripl_core.analysis.matching import Candidate, MatchState, RuleView, batches, percent_label, raised_threshold
from tripl_core.analysis.matching import select as select_items
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.metrics.detection import FRESHNESS
from tripl_core.metrics.models import AnomalySettings
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

MAX_ITEMS_PER_DELIVERY = 25
DEFAULT_SIGMA = 4.0
SILENT = frozenset({GroupStatus.acknowledged.value, GroupStatus.resolved.value, GroupStatus.false_positive.value})
IN_CHUNK = 500  # values per SQL `IN (…)` list
INDEXED_FIELDS = ("event", "event_type", "direction")

GroupKey = tuple[str, str, str]  # (scope, scope_ref, direction) within one rule and scan config
RuleLive = tuple[AlertRule, AlertDestination]


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
            scan_job_id: uuid.UUID | None = None, send: bool = True,
            collection: Collection | None = None) -> FanOutResult:
    """`collection`: the window the metrics run before this fan-out collected (None: a fan-out on its own,
    which considers the active span only)."""
    result = FanOutResult()
    now = sender.clock()
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            return result
        since = candidate_reads.considered_since(config, now, collection)
        found = candidate_reads.active(session, config, now, since)
        result.candidates = len(found)
        rules = live_rules(session, config.project_id, now) if found else []
        if rules:
            project = session.get(Project, config.project_id)
            assert project is not None
            state = _RulesState.load(session, config, rules, found, since, now)
            index = _CandidateIndex(found)
            writes = _Writes(project, config, scan_job_id)
            for rule, destination in rules:
                result.matched += _fan_rule(state, writes, rule, destination, index.narrowed(rule.filters), now)
            result.deliveries = writes.flush(session, state)
    if send:
        result.sent = deliveries.send_all(db, result.deliveries, sender)
    return result


def live_rules(session: Session, project_id: uuid.UUID, now: datetime) -> list[RuleLive]:
    rows = session.execute(
        select(AlertRule, AlertDestination).join(AlertDestination, AlertRule.destination_id == AlertDestination.id)
        .where(AlertRule.project_id == project_id, AlertRule.enabled.is_(True), AlertDestination.enabled.is_(True))
        .order_by(AlertRule.created_at, AlertRule.id))
    return [(rule, destination) for rule, destination in rows
            if rule.muted_until is None or rule.muted_until <= now]


def _fan_rule(state: _RulesState, writes: _Writes, rule: AlertRule, destination: AlertDestination,
              found: Sequence[Candidate], now: datetime) -> int:
    chosen = select_items(RuleView.of(rule), found, state.match_state(rule.id, now), now)
    groups = state.groups.setdefault(rule.id, _Groups({}))
    group_ids = {item.group_key: groups.touch(writes.config, rule, item) for item in chosen.matched}
    for batch in batches(chosen.to_send, MAX_ITEMS_PER_DELIVERY):
        writes.delivery(rule, destination, batch, group_ids)
    return len(chosen.matched)


class _CandidateIndex:
    """Candidates by the values filters test, so that a rule with an `eq`/`in` filter on an event, an event
    type or a direction is matched against the candidates that can pass it instead of all of them (the
    matching itself still checks every filter). Order is kept, so batches do not change."""

    def __init__(self, found: Sequence[Candidate]) -> None:
        self.found = found
        self.positions: dict[str, dict[str, list[int]]] = {name: {} for name in INDEXED_FIELDS}
        for position, candidate in enumerate(found):
            for name in INDEXED_FIELDS:
                for value in _filter_values(candidate, name):
                    self.positions[name].setdefault(value, []).append(position)

    def narrowed(self, filters: Iterable[dict[str, Any]] | None) -> Sequence[Candidate]:
        kept: set[int] | None = None
        for rule_filter in filters or ():
            if rule_filter.get("op") not in ("eq", "in") or rule_filter.get("field") not in self.positions:
                continue
            by_value = self.positions[rule_filter["field"]]
            hits = {position for value in rule_filter.get("values") or () for position in by_value.get(value, ())}
            kept = hits if kept is None else kept & hits
        if kept is None:
            return self.found
        return [self.found[position] for position in sorted(kept)]


def _filter_values(candidate: Candidate, name: str) -> set[str]:
    """The values `matching.RuleFilter.holds` compares for a filter on `name` (its name, or its id)."""
    if name == "direction":
        return {candidate.direction}
    ref = candidate.scope_ref if candidate.scope == name else None
    return {value for value in (getattr(candidate, name), ref) if value}


class _Groups:
    """Correlation groups of one rule: those still firing (loaded, updated in place) and those this
    fan-out opens (rows inserted at the end)."""

    def __init__(self, firing: dict[GroupKey, CorrelationGroup]) -> None:
        self.firing = firing
        self.opened: dict[GroupKey, dict[str, Any]] = {}

    def touch(self, config: ScanConfig, rule: AlertRule, item: Candidate) -> uuid.UUID:
        key = (item.scope, item.scope_ref, item.direction)
        group = self.firing.get(key)
        if group is not None:
            group.item_count += 1
            group.latest_bucket = max(group.latest_bucket, item.bucket)
            return group.id
        row = self.opened.get(key)
        if row is None:
            row = self.opened[key] = {
                "id": uuid.uuid4(), "project_id": config.project_id, "scan_config_id": config.id,
                "rule_id": rule.id, "scope": item.scope, "scope_ref": item.scope_ref,
                "scope_name": item.scope_name[:1000], "direction": item.direction,
                "status": GroupStatus.open.value, "item_count": 0, "false_positive_count": 0,
                "first_bucket": item.bucket, "latest_bucket": item.bucket}
        row["item_count"] += 1
        row["latest_bucket"] = max(row["latest_bucket"], item.bucket)
        opened_id: uuid.UUID = row["id"]
        return opened_id


@dataclass
class _RulesState:
    """What the live rules have done, as far as these candidates are concerned."""

    config_id: uuid.UUID
    delivered: dict[uuid.UUID, set[tuple[str, str]]]
    last_sent: dict[uuid.UUID, dict[tuple[str, str], datetime]]
    cooldowns: dict[uuid.UUID, timedelta]
    groups: dict[uuid.UUID, _Groups]
    min_z: dict[tuple[str, str], float]

    @classmethod
    def load(cls, session: Session, config: ScanConfig, rules: Sequence[RuleLive], found: Sequence[Candidate],
             since: datetime, now: datetime) -> _RulesState:
        rule_ids = [rule.id for rule, _ in rules]
        cooldowns = {rule.id: timedelta(minutes=rule.cooldown_minutes) for rule, _ in rules}
        return cls(config.id, _delivered(session, rule_ids, found),
                   _last_sent(session, rule_ids, found, now - max(cooldowns.values())),
                   cooldowns, _firing_groups(session, config, rule_ids, since), _min_z(session, config))

    def match_state(self, rule_id: uuid.UUID, now: datetime) -> MatchState:
        state = MatchState(delivered=self.delivered.get(rule_id, set()))
        cooldown_start = now - self.cooldowns[rule_id]
        for (scope, ref), last in self.last_sent.get(rule_id, {}).items():
            if last >= cooldown_start:
                state.last_sent[(self.config_id, scope, ref)] = last
        for (scope, ref, direction), group in self.groups.get(rule_id, _Groups({})).firing.items():
            if _silent(group, now):
                state.suppressed.add((self.config_id, scope, ref, direction))
        state.min_z = {(self.config_id, scope, ref): z for (scope, ref), z in self.min_z.items()}
        return state


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start:start + IN_CHUNK])


def _delivered(session: Session, rule_ids: list[uuid.UUID],
               found: Sequence[Candidate]) -> dict[uuid.UUID, set[tuple[str, str]]]:
    """Which of these candidates each rule already delivered: looked up by (rule, kind, source id), the
    unique key of delivery items, so the rows read are at most candidates × rules."""
    by_kind: dict[str, list[str]] = {}
    for candidate in found:
        by_kind.setdefault(candidate.kind, []).append(candidate.source_id)
    out: dict[uuid.UUID, set[tuple[str, str]]] = {}
    for kind, source_ids in by_kind.items():
        for chunk in _chunks(sorted(set(source_ids))):
            for rule_id, source_id in session.execute(
                    select(AlertDeliveryItem.rule_id, AlertDeliveryItem.source_id).where(
                        AlertDeliveryItem.rule_id.in_(rule_ids), AlertDeliveryItem.source_kind == kind,
                        AlertDeliveryItem.source_id.in_(chunk))):
                out.setdefault(rule_id, set()).add((kind, source_id))
    return out


def _last_sent(session: Session, rule_ids: list[uuid.UUID], found: Sequence[Candidate],
               since: datetime) -> dict[uuid.UUID, dict[tuple[str, str], datetime]]:
    """When each rule last delivered each of the candidates' scopes, if within the longest cooldown."""
    scopes = {(candidate.scope, candidate.scope_ref) for candidate in found}
    out: dict[uuid.UUID, dict[tuple[str, str], datetime]] = {}
    for chunk in _chunks(sorted({ref for _, ref in scopes})):
        for rule_id, scope, ref, last in session.execute(
                select(AlertDeliveryItem.rule_id, AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref,
                       func.max(AlertDeliveryItem.created_at))
                .where(AlertDeliveryItem.rule_id.in_(rule_ids), AlertDeliveryItem.scope_ref.in_(chunk),
                       AlertDeliveryItem.created_at >= since)
                .group_by(AlertDeliveryItem.rule_id, AlertDeliveryItem.scope, AlertDeliveryItem.scope_ref)):
            if (scope, ref) in scopes:
                out.setdefault(rule_id, {})[(scope, ref)] = last
    return out


def _firing_groups(session: Session, config: ScanConfig, rule_ids: list[uuid.UUID],
                   since: datetime) -> dict[uuid.UUID, _Groups]:
    """Groups still firing: their latest bucket is within what this fan-out considers. Older ones are
    closed incidents; a scope that fires again opens a new group."""
    firing: dict[uuid.UUID, dict[GroupKey, CorrelationGroup]] = {rule_id: {} for rule_id in rule_ids}
    for group in session.scalars(select(CorrelationGroup).where(
            CorrelationGroup.rule_id.in_(rule_ids), CorrelationGroup.scan_config_id == config.id,
            CorrelationGroup.latest_bucket >= since).order_by(CorrelationGroup.created_at)):
        firing[group.rule_id][(group.scope, group.scope_ref, group.direction)] = group
    return {rule_id: _Groups(groups) for rule_id, groups in firing.items()}


def _min_z(session: Session, config: ScanConfig) -> dict[tuple[str, str], float]:
    """The |z| each scope of the config must reach, raised by its false positives (any rule's)."""
    sigma = session.scalar(select(AnomalySettings.sigma_threshold).where(
        AnomalySettings.project_id == config.project_id)) or DEFAULT_SIGMA
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


class _Writes:
    """The deliveries and items of one fan-out, rendered as they are chosen and inserted together."""

    def __init__(self, project: Project, config: ScanConfig, scan_job_id: uuid.UUID | None) -> None:
        self.project, self.config, self.scan_job_id = project, config, scan_job_id
        self.created_at = utcnow()
        self.deliveries: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []

    def delivery(self, rule: AlertRule, destination: AlertDestination, batch: list[Candidate],
                 group_ids: dict[tuple[uuid.UUID, str, str, str], uuid.UUID]) -> None:
        rendered = render(self.project.name, destination.name, rule, self.config.name, batch, destination.settings)
        delivery_id = uuid.uuid4()
        self.deliveries.append({
            "id": delivery_id, "project_id": self.project.id, "scan_config_id": self.config.id,
            "scan_job_id": self.scan_job_id, "destination_id": destination.id, "rule_id": rule.id,
            "destination_name": destination.name, "rule_name": rule.name, "scan_name": self.config.name,
            "channel": destination.type, "status": DeliveryStatus.pending.value, "matched_count": len(batch),
            "attempts": 0, "parts_sent": 0, "created_at": self.created_at, "updated_at": self.created_at,
            "payload_snapshot": CHANNELS[DestinationType(destination.type)].build(rendered,
                                                                                  dict(destination.settings))})
        for item, details in zip(batch, rendered.items, strict=True):
            self.items.append({
                "id": uuid.uuid4(), "delivery_id": delivery_id, "rule_id": rule.id,
                "correlation_group_id": group_ids[item.group_key], "source_kind": item.kind,
                "source_id": item.source_id, "scope": item.scope, "scope_ref": item.scope_ref,
                "details": details, "created_at": self.created_at})

    def flush(self, session: Session, state: _RulesState) -> list[uuid.UUID]:
        """Groups first (items point at them), then deliveries, then their items: one INSERT each."""
        opened = [row for groups in state.groups.values() for row in groups.opened.values()]
        for row in opened:
            row["created_at"] = row["updated_at"] = self.created_at
        session.flush()  # the firing groups' new counts
        for model, rows in ((CorrelationGroup, opened), (AlertDelivery, self.deliveries),
                            (AlertDeliveryItem, self.items)):
            if rows:
                # Core executemany on the table: the ORM bulk path built per-row state it never used
                session.execute(insert(cast(Table, model.__table__)), rows)
        return [row["id"] for row in self.deliveries]


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
    values = {"scope_name": item.scope_name, "direction": item.direction,
              "actual_count": _count(item.actual), "expected_count": _count(item.expected),
              "percent_delta_label": percent_label(item), "bucket": item.bucket.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "drift_field": item.drift_field or "", "sample_value": item.sample_value or ""}
    kind = "freshness" if item.kind == "signal" and item.scope == FRESHNESS else item.kind
    return {**values, "summary": templates.summary(kind, values)}


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
