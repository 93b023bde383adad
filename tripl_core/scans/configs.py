"""Scan config CRUD. Every save is validated against the data source (validation.py); the warehouse is
read with the request's app-database transaction ended first, so a slow warehouse holds no database
lock (nothing has been written when it is read)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.db.units import commit_so_far
from tripl_core.errors import Conflict, NotFound
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.plan.models import EventType, Project
from tripl_core.plan.projects import main_branch_id
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans.schemas import ScanConfigCreate, ScanConfigUpdate, ScanSettings
from tripl_core.scans.validation import Problems, check_columns, check_rules, probe_failure, result_columns
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.models import DataSource
from tripl_core.warehouse import UnsafeQuery, WarehouseError

# A change to any of these is re-checked on the warehouse; a rename alone is not.
WAREHOUSE_FIELDS = frozenset(ScanSettings.model_fields) - {"name", "event_type_id", "cardinality_threshold",
                                                             "interval", "replay_chunk_interval",
                                                             "scan_lookback_hours", "scan_row_limit",
                                                             "metrics_row_limit", "metric_breakdown_values_limit",
                                                             "app_version_keep_releases", "data_delay_minutes"}


def list_configs(session: Session, project: Project) -> list[ScanConfig]:
    return list(session.scalars(select(ScanConfig).where(ScanConfig.project_id == project.id)
                                .order_by(ScanConfig.created_at, ScanConfig.id)))


def get(session: Session, project: Project, scan_id: uuid.UUID) -> ScanConfig:
    config = session.get(ScanConfig, scan_id)
    if config is None or config.project_id != project.id:
        raise NotFound(f"Scan config {scan_id} not found in project '{project.slug}'")
    return config


def find(session: Session, project: Project, id_or_name: str) -> ScanConfig:
    """By id or, failing that, by name (the CLI's SCAN argument)."""
    try:
        return get(session, project, uuid.UUID(id_or_name))
    except ValueError:
        pass
    config = session.scalar(select(ScanConfig).where(ScanConfig.project_id == project.id,
                                                     ScanConfig.name == id_or_name))
    if config is None:
        raise NotFound(f"Scan config '{id_or_name}' not found in project '{project.slug}'")
    return config


def create(session: Session, box: SecretBox, project: Project, body: ScanConfigCreate,
           visible_to: uuid.UUID | None = None) -> ScanConfig:
    """`visible_to`: the project a key is bound to. Such a key may attach only a data source it can read
    (one its project's scan configs use already), so it cannot reach another project's warehouse by
    pointing a config of its own at it; any other data source answers 404, as reading it does."""
    settings = ScanSettings.model_validate(body.model_dump(exclude={"data_source_id"}))
    source = data_sources.get(session, body.data_source_id, visible_to=visible_to)
    _ensure_name_free(session, project, settings.name, None)
    _validate(session, box, project, source, settings, probe=True)
    config = ScanConfig(project_id=project.id, data_source_id=source.id, **settings.stored())
    session.add(config)
    session.flush()
    return config


def update(session: Session, box: SecretBox, project: Project, config: ScanConfig,
           body: ScanConfigUpdate) -> ScanConfig:
    changes = body.changes()
    merged = {name: getattr(config, name) for name in ScanSettings.model_fields} | changes
    settings = ScanSettings.model_validate(merged)
    if "name" in changes:
        _ensure_name_free(session, project, settings.name, config.id)
    source = session.get(DataSource, config.data_source_id)
    assert source is not None  # the foreign key cascades a source's delete to its scan configs
    scan_id = config.id
    _validate(session, box, project, source, settings, probe=bool(WAREHOUSE_FIELDS & set(changes)))
    config = get(session, project, scan_id)  # re-read: the warehouse probe ended the transaction
    for name, value in settings.stored().items():
        setattr(config, name, value)
    config.updated_at = utcnow()
    session.flush()
    return config


def delete(session: Session, config: ScanConfig) -> None:
    """Its jobs stay (history) with `scan_config_id` cleared; one that has not started yet is cancelled
    here, and a running one is asked to stop (its run sees the config gone and ends cleanly)."""
    message = f"The scan config '{config.name}' was deleted"
    for job in session.scalars(select(Job).where(Job.scan_config_id == config.id,
                                                 Job.status.in_([JobStatus.pending, JobStatus.running]))):
        lifecycle.request_cancel(job, message)
    session.delete(config)
    session.flush()


def _validate(session: Session, box: SecretBox, project: Project, source: DataSource, settings: ScanSettings,
              *, probe: bool) -> None:
    problems = Problems()
    check_rules(settings, source.db_type, problems)
    if settings.event_type_id is not None and not _is_main_event_type(session, project, settings.event_type_id):
        problems.add("event_type_id", f"no event type {settings.event_type_id} in project '{project.slug}'")
    problems.raise_any()
    if probe:
        warehouse = data_sources.warehouse_config(source, box)
        commit_so_far(session)  # nothing of this request is written yet; free the database while the warehouse works
        try:
            check_columns(settings, result_columns(warehouse, settings.base_query), problems)
        except WarehouseError as error:
            probe_failure(error, problems)
        except UnsafeQuery as refused:  # the tables are known only once the warehouse is asked
            problems.add("base_query", f"refused: {refused.message}")
        problems.raise_any()


def _is_main_event_type(session: Session, project: Project, event_type_id: uuid.UUID) -> bool:
    event_type = session.get(EventType, event_type_id)
    return event_type is not None and event_type.branch_id == main_branch_id(session, project.id)


def _ensure_name_free(session: Session, project: Project, name: str, own_id: uuid.UUID | None) -> None:
    holder = session.scalar(select(ScanConfig.id).where(ScanConfig.project_id == project.id,
                                                        ScanConfig.name == name))
    if holder is not None and holder != own_id:
        raise Conflict(f"A scan config named '{name}' already exists in project '{project.slug}'")

