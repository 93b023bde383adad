"""Apply Scan Event Groups (SEMANTICS §2 `event_group_rules`): existing main-branch events that a rule
of the scan config now covers are folded into the rule's event — the rule's event is created when
missing (`in_review`, identity = the rule's name) and the covered events are archived.

An event is matched on its literal field values (by field name, i.e. the column or JSON path the scan
wrote them from) and on its type's name for the `event_type_column`; `${token}` templates never match."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.errors import NotFound
from tripl_core.plan.models import Event, EventFieldValue, EventStatus, EventType, FieldDefinition
from tripl_core.plan.projects import main_branch_id
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.schemas import EventGroupRule


def apply_event_groups(db: Database, scan_config_id: uuid.UUID) -> dict[str, int]:
    """Fold covered events into their rule's event in one transaction; returns the counts for the job."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            raise NotFound("The scan config was deleted")
        rules = [EventGroupRule.model_validate(rule) for rule in config.event_group_rules]
        summary = {"rules": len(rules), "events_folded": 0, "events_created": 0}
        for event_type in _event_types(session, config):
            events = list(session.scalars(select(Event).where(Event.event_type_id == event_type.id,
                                                              Event.status != EventStatus.archived.value)))
            values = _literal_values(session, [event.id for event in events])
            for rule in rules:
                covered = [event for event in events if event.source_name != rule.name and event.name != rule.name
                           and matches(rule, values[event.id] | _type_value(config, event_type))]
                if not covered:
                    continue
                summary["events_created"] += _ensure_rule_event(session, event_type, rule.name, events)
                for event in covered:
                    event.status = EventStatus.archived.value
                summary["events_folded"] += len(covered)
                events = [event for event in events if event not in covered]
        return summary


def matches(rule: EventGroupRule, values: dict[str, str]) -> bool:
    hits = (condition.field in values and re.search(condition.pattern, values[condition.field]) is not None
            for condition in rule.conditions)
    return all(hits) if rule.condition_logic == "all" else any(hits)


def _event_types(session: Session, config: ScanConfig) -> list[EventType]:
    if config.event_type_id is not None:
        bound = session.get(EventType, config.event_type_id)
        return [bound] if bound is not None else []
    branch_id = main_branch_id(session, config.project_id)
    return list(session.scalars(select(EventType).where(EventType.branch_id == branch_id)))


def _literal_values(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    values: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    rows = session.execute(select(EventFieldValue.event_id, FieldDefinition.name, EventFieldValue.value)
                           .join(FieldDefinition, FieldDefinition.id == EventFieldValue.field_id)
                           .where(EventFieldValue.event_id.in_(event_ids)))
    for event_id, name, value in rows:
        if "${" not in value:
            values[event_id][name] = value
    return values


def _type_value(config: ScanConfig, event_type: EventType) -> dict[str, str]:
    return {config.event_type_column: event_type.name} if config.event_type_column else {}


def _ensure_rule_event(session: Session, event_type: EventType, name: str, events: list[Event]) -> int:
    if any(event.name == name or event.source_name == name for event in events):
        return 0
    archived = session.scalar(select(Event).where(Event.event_type_id == event_type.id, Event.name == name))
    if archived is not None:  # an archived rule event comes back
        archived.status = EventStatus.in_review.value
        events.append(archived)
        return 0
    order = session.scalar(select(func.max(Event.order)).where(Event.event_type_id == event_type.id))
    created = Event(project_id=event_type.project_id, event_type_id=event_type.id, branch_id=event_type.branch_id,
                    name=name, source_name=name, status=EventStatus.in_review.value, order=(order or 0) + 1)
    session.add(created)
    session.flush()
    events.append(created)
    return 1

