"""Scan preview: a job that reads a few rows of a `base_query` so a scan config can be written against it.

`enqueue` runs inside the request (guard check, job row); `run_preview_job` runs on a worker thread with
its own short transactions, and no app-database transaction is open while the warehouse works."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.errors import InvalidInput, NotFound
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.outbound import OutboundPolicy
from tripl_core.plan.models import Project
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources, endpoints
from tripl_core.sources.schemas import PreviewRequest
from tripl_core.warehouse import (
    Preview,
    TimeWindow,
    UnsafeQuery,
    WarehouseConfig,
    WarehouseError,
    check_read_only,
    create_warehouse,
    dialect_for,
)

log = logging.getLogger(__name__)


def enqueue(session: Session, principal: Principal, project: Project, request: PreviewRequest) -> Job:
    """Refuse an unsafe query with 422 (nothing is created); otherwise add a pending preview job."""
    source = data_sources.get(session, request.data_source_id, visible_to=principal.bound_project_id)
    try:
        check_read_only(request.base_query, dialect_for(source.db_type).guard_dialect)
    except UnsafeQuery as refused:
        raise InvalidInput(f"base_query refused: {refused.message}") from None
    if request.scan_lookback_hours is not None and request.time_column is None:
        raise InvalidInput("scan_lookback_hours needs time_column: the window is read on that column")
    job = Job(kind=JobKind.preview.value, project_id=project.id, data_source_id=source.id,
              params=request.model_dump(mode="json"),
              created_by_id=principal.user.id)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, project: Project, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.project_id != project.id or job.kind != JobKind.preview.value:
        raise NotFound(f"Preview job {job_id} not found in project '{project.slug}'")
    return job


def run_preview_job(db: Database, box: SecretBox, job_id: uuid.UUID, policy: OutboundPolicy | None = None) -> None:
    """Start, run and finish one preview job; every outcome ends in succeeded or failed. With `policy` the
    warehouse host is resolved once, checked and pinned."""
    started = _start(db, box, job_id)
    if started is None:
        return
    config, request = started
    try:
        checked = endpoints.checked_under(config, policy) if policy else config
        summary = summarise(_read_preview(checked, request), request)
    except (WarehouseError, UnsafeQuery) as error:
        lifecycle.fail_run(db, job_id, error.message)
    except Exception as error:  # an unexpected failure still ends the job, with secrets kept out
        log.exception("preview job %s failed unexpectedly", job_id)
        lifecycle.fail_run(db, job_id, _scrub(f"Preview failed: {error}", config))
    else:
        lifecycle.succeed_run(db, job_id, summary)


def summarise(preview: Preview, request: PreviewRequest) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "columns": [{"name": c.name, "type": c.type} for c in preview.columns],
        "rows": [[_jsonable(cell) for cell in row] for row in preview.rows],
        "row_count": len(preview.rows),
    }
    if preview.json_paths is not None:
        literal = set(request.json_value_paths)
        summary["json_paths"] = [{"path": key.path, "count": key.count, "literal": key.path in literal}
                                 for key in preview.json_paths]
    return summary


def _start(db: Database, box: SecretBox, job_id: uuid.UUID) -> tuple[WarehouseConfig, PreviewRequest] | None:
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.pending:
            return None
        lifecycle.start(job)
        try:
            if job.data_source_id is None:
                raise NotFound("The data source was deleted before the preview ran")
            config = data_sources.warehouse_config(data_sources.get(session, job.data_source_id), box)
            return config, PreviewRequest.model_validate(job.params)
        except (NotFound, ValueError) as error:  # ValueError: a secret the configured key cannot decrypt
            lifecycle.fail(job, str(error))
            return None


def _read_preview(config: WarehouseConfig, request: PreviewRequest) -> Preview:
    window = None
    if request.time_column and request.scan_lookback_hours:
        now = utcnow()
        window = TimeWindow(request.time_column, now - timedelta(hours=request.scan_lookback_hours), now)
    warehouse = create_warehouse(config)
    try:
        return warehouse.preview(request.base_query, request.limit, request.include_json_paths, window)
    finally:
        warehouse.close()


def _scrub(message: str, config: WarehouseConfig) -> str:
    for secret in config.secrets():
        message = message.replace(secret, "***")
    return message


def _jsonable(cell: Any) -> Any:
    """Cells as JSON values for `result_summary`: times in UTC with `Z`, bytes as base64, the rest text."""
    if cell is None or isinstance(cell, bool | int | float | str):
        return cell
    if isinstance(cell, datetime):
        aware = cell if cell.tzinfo else cell.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, Decimal):
        return float(cell)
    if isinstance(cell, bytes):
        return base64.b64encode(cell).decode()
    if isinstance(cell, list | tuple):
        return [_jsonable(item) for item in cell]
    if isinstance(cell, dict):
        return {str(key): _jsonable(value) for key, value in cell.items()}
    return str(cell)
