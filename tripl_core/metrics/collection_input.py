"""What a metrics collection reads from the app database before it goes to the warehouse: the scan config
and the main-branch identities, in one short transaction (`load_input`); shared by the collection of
counts (`collect`) and of distribution drifts (`distribution_drifts`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from tripl_core.analysis.identity import GroupRule, IdentitySpec
from tripl_core.db.engine import Database
from tripl_core.errors import DomainError
from tripl_core.plan.models import Event, EventType
from tripl_core.plan.projects import main_branch_id
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.warehouse import ColumnRef, FieldRef, Interval, JsonRef, WarehouseConfig


class MetricsFailed(DomainError):
    """The collection cannot run as configured; the message says why (a limit, no interval)."""


@dataclass(frozen=True)
class CollectionInput:
    scan_config_id: uuid.UUID
    project_id: uuid.UUID
    base_query: str
    time_column: str
    interval: Interval
    bound_type: tuple[str, uuid.UUID] | None  # (name, id) when all rows are of one type
    event_type_column: str | None
    spec: IdentitySpec
    breakdown_columns: tuple[str, ...]
    breakdown_limit: int | None
    app_version_column: str | None
    keep_releases: int
    drift_fields: tuple[str, ...]
    row_limit: int | None
    types: dict[str, uuid.UUID]  # main-branch event type name → id
    events: dict[tuple[str, str], tuple[uuid.UUID, uuid.UUID]]  # (type name, identity) → (event id, type id)


def load_input(db: Database, scan_config_id: uuid.UUID, secrets: SecretBox) -> tuple[CollectionInput,
                                                                                     WarehouseConfig]:
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            raise MetricsFailed(f"Scan config {scan_config_id} no longer exists")
        if not config.interval or not config.time_column:
            raise MetricsFailed(f"Scan config '{config.name}' has no interval (or no time_column): it is "
                                "catalog-only and collects no metrics")
        branch_id = main_branch_id(session, config.project_id)
        types = dict(session.execute(select(EventType.name, EventType.id)
                                     .where(EventType.branch_id == branch_id)).all())
        names = {type_id: name for name, type_id in types.items()}
        events = {(names[type_id], source or name): (event_id, type_id) for event_id, type_id, source, name in
                  session.execute(select(Event.id, Event.event_type_id, Event.source_name, Event.name)
                                  .where(Event.branch_id == branch_id))}
        bound = session.get(EventType, config.event_type_id) if config.event_type_id else None
        spec = IdentitySpec(config.event_name_format or None, frozenset(config.json_value_paths or ()),
                            config.cardinality_threshold,
                            tuple(GroupRule.parse(rule) for rule in config.event_group_rules or ()))
        scan = CollectionInput(
            config.id, config.project_id, config.base_query, config.time_column, Interval(config.interval),
            (bound.name, bound.id) if bound else None, config.event_type_column, spec,
            tuple(config.metric_breakdown_columns or ()), config.metric_breakdown_values_limit,
            config.app_version_column, config.app_version_keep_releases or 0,
            tuple(config.distribution_drift_fields or ()), config.metrics_row_limit,
            types, events)
        return scan, data_sources.warehouse_config(data_sources.get(session, config.data_source_id), secrets)


def field_ref(label: str, columns: Sequence[str]) -> FieldRef:
    """A plain column, or a JSON path when the label has a dot and names no column of the base query."""
    return ColumnRef(label) if label in columns or "." not in label else JsonRef.parse(label)
