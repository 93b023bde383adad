"""Create Demo Project (SEMANTICS §10): a working project over a chDB warehouse tripl generates itself.

Steps, in this order so no database write lock is held while files are written:
1. pick a free slug (`demo`, `demo-2`, …) and reserve its folder `<state dir>/warehouses/<slug>/`,
   then end the caller's unit of work so far (`commit_so_far`: nothing is written yet);
2. generate the warehouse there (seconds) and check the demo scan setup against it;
3. the `chdb` data source, the project, its plan from `DEMO_PLAN`, the scan config — flushed, committed
   by the caller's unit of work (or by the launch of step 4, which commits the job row it runs);
4. the first scan job, queued and launched (when a launcher is given).

Call them with a session that holds nothing else uncommitted. A reserved folder whose rows are never
committed stays behind; `_reserve` skips it, so it costs a slug number, never a collision."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.db.units import commit_so_far
from tripl_core.demo.cases import DemoCases
from tripl_core.demo.offprocess import generate_in_child
from tripl_core.demo.plan import DEMO_PLAN, ScanSetup
from tripl_core.demo.plan_writer import write_demo_plan
from tripl_core.errors import InvalidInput
from tripl_core.jobs.launch import RunLauncher, launch
from tripl_core.jobs.models import Job, JobKind
from tripl_core.plan import projects
from tripl_core.plan.branch_scope import resolve
from tripl_core.plan.models import Project
from tripl_core.plan.schemas import ProjectCreate
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.scans import runs
from tripl_core.scans.schemas import ScanSettings
from tripl_core.scans.validation import Problems, check_columns, check_rules, result_columns
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.models import DataSource
from tripl_core.sources.schemas import DataSourceCreate
from tripl_core.warehouse import WarehouseConfig, WarehouseError

BASE_SLUG = "demo"
PROJECT_NAME = "Demo shop"
DESCRIPTION = ("A demo tracking plan over a synthetic warehouse tripl generated (35 days of a shop app's "
               "events). Planted for you to find: a volume spike and a drop, a release missing one event, a "
               "currency distribution drift, a new undeclared field, a dead event and an unplanned event.")
MAX_SLUGS = 1000


@dataclass(frozen=True)
class DemoWarehouse:
    slug: str
    folder: Path
    cases: DemoCases
    scan: ScanSettings


@dataclass(frozen=True)
class DemoProject:
    project: Project
    data_source: DataSource
    scan_config: ScanConfig
    cases: DemoCases
    first_job: Job | None


def warehouses_dir(state_dir: Path) -> Path:
    return state_dir / "warehouses"


def create_demo_project(session: Session, principal: Principal, box: SecretBox, state_dir: Path,
                        launcher: RunLauncher | None, *, now: datetime | None = None) -> DemoProject:
    """Every step above; the first scan is launched when `launcher` is given."""
    warehouse = prepare_warehouse(session, state_dir, now=now)
    try:
        demo = write_demo_project(session, principal, box, warehouse)
    except BaseException:  # the caller's unit of work rolls the rows back
        shutil.rmtree(warehouse.folder, ignore_errors=True)
        raise
    if launcher is None:
        return demo
    job = start_scan(session, principal, launcher, demo.project, demo.scan_config)
    return DemoProject(demo.project, demo.data_source, demo.scan_config, demo.cases, job)


def prepare_warehouse(session: Session, state_dir: Path, *, now: datetime | None = None) -> DemoWarehouse:
    """Reserve a slug and its folder, end the session's transaction, then write and check the warehouse."""
    slug, folder = _reserve(session, warehouses_dir(state_dir))
    commit_so_far(session)  # nothing of the caller's is pending; free the database while files are written
    try:
        cases = generate_in_child(folder, end=now or datetime.now(UTC))  # its memory leaves with the child
        scan = _checked_scan_settings(DEMO_PLAN.scan, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return DemoWarehouse(slug, folder, cases, scan)


def write_demo_project(session: Session, principal: Principal, box: SecretBox,
                       warehouse: DemoWarehouse) -> DemoProject:
    """The data source, project, plan and scan config, flushed together (the caller commits them)."""
    source = data_sources.create(session, box, DataSourceCreate(
        name=_free_source_name(session, f"Demo warehouse ({warehouse.slug})"), db_type="chdb",
        path=str(warehouse.folder)))
    project = projects.create(session, principal, ProjectCreate(name=_project_name(warehouse.slug),
                                                                slug=warehouse.slug, description=DESCRIPTION))
    write_demo_plan(session, principal, resolve(session, project, None, write=True))
    config = ScanConfig(project_id=project.id, data_source_id=source.id, **warehouse.scan.stored())
    session.add(config)
    session.flush()
    return DemoProject(project, source, config, warehouse.cases, None)


def start_scan(session: Session, principal: Principal, launcher: RunLauncher, project: Project,
               config: ScanConfig) -> Job:
    """Queue a catalog scan of `config` and launch it (a launch failure fails the job)."""
    return launch(session, launcher, runs.enqueue(session, principal, project, config, JobKind.scan))


def scan_settings(setup: ScanSetup) -> ScanSettings:
    return ScanSettings(
        name=setup.name, base_query=setup.base_query, time_column=setup.time_column,
        event_type_column=setup.event_type_column, event_name_format=setup.event_name_format,
        interval=setup.interval, cardinality_threshold=setup.cardinality_threshold,
        json_value_paths=list(setup.json_value_paths), metric_breakdown_columns=list(setup.metric_breakdown_columns),
        metric_breakdown_values_limit=setup.metric_breakdown_values_limit,
        distribution_drift_fields=list(setup.distribution_drift_fields), app_version_column=setup.app_version_column,
    )


def _checked_scan_settings(setup: ScanSetup, folder: Path) -> ScanSettings:
    """The demo scan config, checked like Create Scan Config checks one (a broken demo fails loudly)."""
    settings = scan_settings(setup)
    problems = Problems()
    check_rules(settings, "chdb", problems)
    try:
        check_columns(settings, result_columns(WarehouseConfig(db_type="chdb", path=str(folder)), settings.base_query),
                      problems)
    except WarehouseError as error:
        raise InvalidInput(f"The demo warehouse could not be read: {error.message}") from error
    problems.raise_any()
    return settings


def _reserve(session: Session, root: Path) -> tuple[str, Path]:
    """The first slug free both as a project slug and as a warehouse folder; creating the folder claims
    it, so two demo requests at once never share one."""
    root.mkdir(parents=True, exist_ok=True)
    taken = set(session.scalars(select(Project.slug).where(Project.slug.like(f"{BASE_SLUG}%"))))
    for number in range(1, MAX_SLUGS + 1):
        slug = BASE_SLUG if number == 1 else f"{BASE_SLUG}-{number}"
        if slug in taken:
            continue
        try:
            (root / slug).mkdir()
        except FileExistsError:
            continue  # a warehouse left by a deleted demo project, or another request's claim
        return slug, (root / slug).resolve()
    raise InvalidInput(f"No free demo project slug among {BASE_SLUG} … {BASE_SLUG}-{MAX_SLUGS}")


def _free_source_name(session: Session, base: str) -> str:
    taken = set(session.scalars(select(DataSource.name).where(DataSource.name.like(f"{base}%"))))
    name, number = base, 2
    while name in taken:
        name, number = f"{base} {number}", number + 1
    return name


def _project_name(slug: str) -> str:
    suffix = slug.removeprefix(BASE_SLUG).lstrip("-")
    return f"{PROJECT_NAME} {suffix}" if suffix else PROJECT_NAME
