"""Fan-out of one scan config (SEMANTICS §7): match its active signals and drifts to every live rule of
its project, keep correlation groups, write deliveries (one per rule and batch of items, with the exact
payload) in one transaction, then send them. Sending happens after the commit, with no transaction open.

What is considered: `candidates.considered_since` (the active span before now; a collection reaching
further back, like a config's first one, adds its buckets of the last 7 days, never older history).
The rules' state is read in one query per question (`rule_state`), never the rules' whole history. Each
candidate's item values, payload and stored JSON are made once, each template parsed once. Groups,
deliveries and items are loaded as plain tuples already in their stored form (`db.bulk.load_rows`:
COPY on PostgreSQL, one executemany elsewhere)."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, select
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
from tripl_core.alerting.rule_state import RulesState
from tripl_core.analysis.matching import Candidate, RuleView, batches, percent_label
from tripl_core.analysis.matching import select as select_items
from tripl_core.db.base import utcnow
from tripl_core.db.bulk import StoredForm, load_rows
from tripl_core.db.engine import Database
from tripl_core.metrics.signals import FRESHNESS
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

MAX_ITEMS_PER_DELIVERY = 25
INDEXED_FIELDS = ("event", "event_type", "direction")

RuleLive = tuple[AlertRule, AlertDestination]
GROUP_COLUMNS = ("id", "project_id", "scan_config_id", "rule_id", "scope", "scope_ref", "scope_name", "direction",
                 "status", "item_count", "false_positive_count", "first_bucket", "latest_bucket", "created_at",
                 "updated_at")
DELIVERY_COLUMNS = ("id", "project_id", "scan_config_id", "scan_job_id", "destination_id", "rule_id",
                    "destination_name", "rule_name", "scan_name", "channel", "status", "matched_count", "attempts",
                    "parts_sent", "created_at", "updated_at", "payload_snapshot")
ITEM_COLUMNS = ("id", "delivery_id", "rule_id", "correlation_group_id", "source_kind", "source_id", "scope",
                "scope_ref", "details", "created_at")


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
    with _collector_paused(), db.unit_of_work() as session:
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
            state = RulesState.load(session, config, [rule for rule, _ in rules], found, since, now)
            index = _CandidateIndex(found)
            writes = _Writes(project, config, scan_job_id, StoredForm.of(session))
            for rule, destination in rules:
                result.matched += _fan_rule(state, writes, rule, destination, index.narrowed(rule.filters), now)
            result.deliveries = writes.flush(session, state)
    if send:
        result.sent = deliveries.send_all(db, result.deliveries, sender)
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The fan-out makes ~10 short-lived objects per candidate and rule match and holds them to the end;
    the cyclic collector would walk all of them again and again meanwhile (~15% of the transaction),
    finding nothing to free. Paused for the transaction, on again after (it only ever switches it back on
    when it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def live_rules(session: Session, project_id: uuid.UUID, now: datetime) -> list[RuleLive]:
    rows = session.execute(
        select(AlertRule, AlertDestination).join(AlertDestination, AlertRule.destination_id == AlertDestination.id)
        .where(AlertRule.project_id == project_id, AlertRule.enabled.is_(True), AlertDestination.enabled.is_(True))
        .order_by(AlertRule.created_at, AlertRule.id))
    return [(rule, destination) for rule, destination in rows
            if rule.muted_until is None or rule.muted_until <= now]


def _fan_rule(state: RulesState, writes: _Writes, rule: AlertRule, destination: AlertDestination,
              found: Sequence[Candidate], now: datetime) -> int:
    chosen = select_items(RuleView.of(rule), found, state.match_state(rule.id, now), now)
    groups = state.groups[rule.id]
    group_ids = {item.group_key: groups.touch(item, writes.form) for item in chosen.matched}
    message = _Message(writes.project.name, destination, rule, writes.config.name)
    for batch in batches(chosen.to_send, MAX_ITEMS_PER_DELIVERY):
        writes.delivery(message, batch, group_ids)
    return len(chosen.matched)


class _CandidateIndex:
    """Candidates by the values filters test, so that a rule with an `eq`/`in` filter on an event, an event
    type or a direction is matched against the candidates that can pass it instead of all of them (the
    matching itself still checks every filter). Order is kept, so batches do not change."""

    def __init__(self, found: Sequence[Candidate]) -> None:
        self.found = found
        self.positions: dict[str, dict[str, list[int]]] = {name: {} for name in INDEXED_FIELDS}
        by_direction = self.positions["direction"]
        for position, candidate in enumerate(found):
            by_direction.setdefault(candidate.direction, []).append(position)
            for name in ("event", "event_type"):
                by_value = self.positions[name]
                value = getattr(candidate, name)
                if value:
                    by_value.setdefault(value, []).append(position)
                ref = candidate.scope_ref
                if candidate.scope == name and ref and ref != value:
                    by_value.setdefault(ref, []).append(position)

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


class _Message:
    """What every delivery of one rule to its destination shares: the templates, parsed once, the
    message values but the count, the channel."""

    def __init__(self, project_name: str, destination: AlertDestination, rule: AlertRule,
                 scan_name: str | None) -> None:
        self.project_name, self.destination, self.rule, self.scan_name = project_name, destination, rule, scan_name
        self.settings = dict(destination.settings)
        self.channel = CHANNELS[DestinationType(destination.type)]


class _Writes:
    """The groups, deliveries and items of one fan-out as tuples in their stored form, loaded together.
    A candidate's item values, payload and JSON are made once however many rules it matches."""

    def __init__(self, project: Project, config: ScanConfig, scan_job_id: uuid.UUID | None,
                 form: StoredForm) -> None:
        self.project, self.config, self.scan_job_id, self.form = project, config, scan_job_id, form
        self.created_at = utcnow()
        self.created = form.moment(self.created_at)
        self.project_id, self.config_id = form.uuid(project.id), form.uuid(config.id)
        self.delivery_ids: list[uuid.UUID] = []
        self.deliveries: list[tuple[Any, ...]] = []
        self.items: list[tuple[Any, ...]] = []
        self.prepared: dict[int, _Prepared] = {}  # by id(candidate): candidates live as long as the fan-out

    def delivery(self, message: _Message, batch: list[Candidate],
                 group_ids: dict[tuple[uuid.UUID, str, str, str], Any]) -> None:
        form, rule, destination = self.form, message.rule, message.destination
        prepared = [self._prepared(item) for item in batch]
        rendered = render_prepared(message.project_name, destination.name, rule, message.scan_name,
                                   [p.variables for p in prepared], [p.payload for p in prepared], message.settings)
        delivery_id = uuid.uuid4()
        stored_id, rule_id = form.uuid(delivery_id), form.uuid(rule.id)
        self.delivery_ids.append(delivery_id)
        self.deliveries.append((
            stored_id, self.project_id, self.config_id, form.uuid(self.scan_job_id), form.uuid(destination.id),
            rule_id, destination.name, rule.name, self.config.name, destination.type, DeliveryStatus.pending.value,
            len(batch), 0, 0, self.created, self.created,
            form.json(message.channel.build(rendered, message.settings))))
        for item, ready in zip(batch, prepared, strict=True):
            self.items.append((form.new_id(), stored_id, rule_id, group_ids[item.group_key],
                               item.kind, item.source_id, item.scope, item.scope_ref, ready.stored(form),
                               self.created))

    def _prepared(self, item: Candidate) -> _Prepared:
        found = self.prepared.get(id(item))
        if found is None:
            found = self.prepared[id(item)] = _Prepared(item_variables(item), item_payload(item))
        return found

    def flush(self, session: Session, state: RulesState) -> list[uuid.UUID]:
        """Groups first (items point at them), then deliveries, then their items: one load each."""
        form, created = self.form, self.created
        opened = [(group.id, self.project_id, self.config_id, form.uuid(rule_id), group.first.scope,
                   group.first.scope_ref, group.first.scope_name[:1000], group.first.direction,
                   GroupStatus.open.value, group.item_count, 0, form.moment(group.first.bucket),
                   form.moment(group.latest_bucket), created, created)
                  for rule_id, groups in state.groups.items() for group in groups.opened.values()]
        session.flush()  # the firing groups' new counts
        for model, columns, rows in ((CorrelationGroup, GROUP_COLUMNS, opened),
                                     (AlertDelivery, DELIVERY_COLUMNS, self.deliveries),
                                     (AlertDeliveryItem, ITEM_COLUMNS, self.items)):
            load_rows(session, cast(Table, model.__table__), columns, rows, stored=True)
        return self.delivery_ids


class _Prepared:
    """One candidate's item values (for templates), payload and its stored JSON, made once."""

    __slots__ = ("_stored", "payload", "variables")

    def __init__(self, variables: dict[str, str], payload: dict[str, object]) -> None:
        self.variables, self.payload = variables, payload
        self._stored: Any = None

    def stored(self, form: StoredForm) -> Any:
        if self._stored is None:
            self._stored = form.json(self.payload)
        return self._stored


def render(project_name: str, destination_name: str, rule: AlertRule, scan_name: str | None,
           items: Sequence[Candidate], destination_settings: dict[str, object]) -> Rendered:
    return render_prepared(project_name, destination_name, rule, scan_name, [item_variables(item) for item in items],
                           [item_payload(item) for item in items], destination_settings)


def render_prepared(project_name: str, destination_name: str, rule: AlertRule, scan_name: str | None,
                    item_values: Sequence[dict[str, str]], payloads: list[dict[str, object]],
                    destination_settings: dict[str, object]) -> Rendered:
    """The message of a batch whose items' values and payloads are made (`item_variables`, `item_payload`)."""
    message_format = MessageFormat(rule.message_format)
    values = {"project_name": project_name, "rule_name": rule.name, "scan_name": scan_name or "",
              "matched_count": str(len(payloads))}
    text = templates.render(rule.message_template, rule.items_template, message_format, values, item_values)
    subject = templates.render_subject(destination_settings.get("email_subject_template"), values)  # type: ignore[arg-type]
    return Rendered(project=project_name, destination=destination_name, rule=rule.name, scan=scan_name,
                    matched_count=len(payloads), text=text, subject=subject, message_format=message_format,
                    items=payloads)


def item_variables(item: Candidate) -> dict[str, str]:
    values = {"scope_name": item.scope_name, "direction": item.direction,
              "actual_count": _count(item.actual), "expected_count": _count(item.expected),
              "percent_delta_label": percent_label(item), "bucket": _bucket_text(item.bucket),
              "drift_field": item.drift_field or "", "sample_value": item.sample_value or ""}
    kind = "freshness" if item.kind == "signal" and item.scope == FRESHNESS else item.kind
    values["summary"] = templates.summary(kind, values)
    return values


def item_payload(item: Candidate) -> dict[str, object]:
    return {"kind": item.kind, "source_id": item.source_id, "scope": item.scope, "scope_ref": item.scope_ref,
            "scope_name": item.scope_name, "direction": item.direction,
            "bucket": _bucket_text(item.bucket), "actual_count": item.actual,
            "expected_count": item.expected, "percent_delta": item.percent_delta, "z": item.z,
            "event_type": item.event_type, "event": item.event, "drift_field": item.drift_field,
            "sample_value": item.sample_value}


def _bucket_text(bucket: datetime) -> str:
    if bucket.tzinfo is UTC:  # equal moments in other zones hash alike but print differently
        return _utc_text(bucket)
    return bucket.strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def _utc_text(bucket: datetime) -> str:
    """Buckets repeat across thousands of items: each formatted once."""
    return bucket.strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"
