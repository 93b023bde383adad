"""The catalog scan (SEMANTICS §2 "A scan run"): plan discovery, variables, schema drift, shadow events
and daily volumes for one scan config, on the main branch.

Three steps, so a failure never leaves half a scan behind: read the config and the plan facts in one
short transaction; ask the warehouse for aggregates with no app-database transaction open (checking for
cancellation between queries); write everything in one transaction. A warehouse failure or a limit
raises before anything is written, so the plan keeps what it had."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.analysis.identity import GroupRule, IdentitySpec
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.observe import recording
from tripl_core.observe.models import ShadowCandidate
from tripl_core.observe.observations import Observation
from tripl_core.plan.models import Event, EventType, FieldDefinition, Project
from tripl_core.plan.projects import main_branch_id
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.catalog_read import ScanCancelled, ScanFailed, ScanInput, observe
from tripl_core.scans.catalog_write import write_plan
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.warehouse import WarehouseConfig, create_warehouse

__all__ = ["CatalogScanResult", "ContractCheck", "ScanCancelled", "ScanFailed", "run_catalog_scan"]


@dataclass(frozen=True)
class ContractCheck:
    event_type: str
    field: str
    passed: bool
    description: str
    metadata: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.event_type}.{self.description}"


@dataclass(frozen=True)
class CatalogScanResult:
    summary: dict[str, int | str]
    contract_checks: list[ContractCheck]


def run_catalog_scan(db: Database, scan_config_id: uuid.UUID, job_id: uuid.UUID | None, *, secrets: SecretBox,
                     cancel_requested: Callable[[], bool] = lambda: False) -> CatalogScanResult:
    scan, config = _load(db, scan_config_id, secrets)
    warehouse = create_warehouse(config)
    try:
        obs = observe(warehouse, scan, cancel_requested)
    finally:
        warehouse.close()
    if cancel_requested():
        raise ScanCancelled("Cancelled")
    with db.unit_of_work() as session:
        return _write(session, scan_config_id, job_id, scan, obs)


def _load(db: Database, scan_config_id: uuid.UUID, secrets: SecretBox) -> tuple[ScanInput, WarehouseConfig]:
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        if config is None:
            raise ScanFailed(f"Scan config {scan_config_id} no longer exists")
        source = data_sources.get(session, config.data_source_id)
        branch_id = main_branch_id(session, config.project_id)
        bound = session.get(EventType, config.event_type_id) if config.event_type_id else None
        types = {t.id: t.name for t in session.scalars(select(EventType).where(EventType.branch_id == branch_id))}
        declared = defaultdict(list)
        for f in session.scalars(select(FieldDefinition).where(FieldDefinition.branch_id == branch_id)
                                 .order_by(FieldDefinition.order)):
            declared[types[f.event_type_id]].append(f)
        known: dict[str, set[str]] = defaultdict(set)
        for type_id, source_name, name in session.execute(
                select(Event.event_type_id, Event.source_name, Event.name).where(Event.branch_id == branch_id)):
            known[types[type_id]].add(source_name or name)
        sampled = {(c.event_type_name, c.identity) for c in session.scalars(
            select(ShadowCandidate).where(ShadowCandidate.project_id == config.project_id)) if c.sample_rows}
        spec = IdentitySpec(config.event_name_format or None, frozenset(config.json_value_paths or ()),
                            config.cardinality_threshold,
                            tuple(GroupRule.parse(rule) for rule in config.event_group_rules or ()))
        scan = ScanInput(config.id, config.name, config.base_query, bound.name if bound else None,
                         config.event_type_column, config.time_column, spec, config.scan_lookback_hours,
                         config.scan_row_limit,
                         {name: recording.declared_fields(fields) for name, fields in declared.items()},
                         dict(known), sampled)
        return scan, data_sources.warehouse_config(source, secrets)


def _write(session: Session, scan_config_id: uuid.UUID, job_id: uuid.UUID | None, scan: ScanInput,
           obs: Observation) -> CatalogScanResult:
    config = session.get(ScanConfig, scan_config_id)
    if config is None:
        raise ScanFailed(f"Scan config {scan_config_id} was deleted while it ran; nothing was written")
    project = session.get(Project, config.project_id)
    assert project is not None
    now = utcnow()
    plan = write_plan(session, project, main_branch_id(session, project.id), scan, obs, now)
    drifts = recording.record_drifts(session, project.id, config.id, plan, obs, now)
    shadows = recording.record_shadows(session, project.id, config.id, plan, obs, now)
    volumes = recording.record_volumes(session, project.id, config.id, plan, obs)
    summary: dict[str, int | str] = {
        "events_created": 0, "events_updated": 0, "events_skipped": 0, "fields_created": 0,
        "variables_created": 0, "contexts_recorded": 0, "values_written": 0, **plan.counts,
        "event_types_seen": len(obs.type_rows), "columns_analysed": obs.columns_analysed, "rows_read": obs.rows_read,
        "rows_skipped": obs.plan.skipped_rows, "identities_seen": len(obs.plan.events),
        "json_paths_ignored": obs.json_paths_ignored, "json_keys_sampled_rows": obs.json_keys_sampled_rows,
        "drifts_raised": drifts.raised,
        "drifts_reopened": drifts.reopened, "shadow_candidates_new": shadows, "volume_days_written": volumes,
    }
    activity.record(session, project, actor=None, actor_name=f"scan {scan.name}", kind="scan.completed",
                    entity_type="scan_config", entity_id=config.id, entity_name=config.name,
                    summary=f"Scan '{scan.name}': {summary['events_created']} events created, "
                            f"{summary['events_updated']} updated, {drifts.raised} drifts raised",
                    details={**summary, "job_id": str(job_id) if job_id else None})
    checks = [ContractCheck(type_name, outcome.field_name, outcome.passed, outcome.description,
                            {"kind": outcome.kind, **outcome.metadata}) for type_name, outcome in drifts.outcomes]
    return CatalogScanResult(summary, checks)
