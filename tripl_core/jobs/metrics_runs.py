"""The job row of a metrics collection run (SEMANTICS §2 "Jobs": every scheduled collection is a job):
made by the run itself when the schedule requested it, or the pending retry the API created and
launched. It records the window and the Dagster run id, ends succeeded once the window's points are
written, and failed when the collection or an analysis step of the run fails, so the window stays
listed until it is retried or dismissed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tripl_core.db.engine import Database
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.scan_configs.models import ScanConfig


def begin(db: Database, scan_config_id: uuid.UUID, external_run_id: str, job_id: uuid.UUID | None,
          time_from: datetime, time_to: datetime) -> uuid.UUID | None:
    """The running job of this run; None when there is none to track (its scan config or its launched
    job is gone, or the launched job was cancelled or already ran)."""
    with db.unit_of_work() as session:
        if job_id is not None:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.pending:
                return None
        else:
            job = session.scalar(select(Job).where(Job.external_run_id == external_run_id,
                                                   Job.kind == JobKind.metrics.value))
            if job is None:
                config = session.get(ScanConfig, scan_config_id)
                if config is None:
                    return None
                job = Job(kind=JobKind.metrics.value, project_id=config.project_id,
                          data_source_id=config.data_source_id, scan_config_id=config.id,
                          params={"time_from": time_from.isoformat(), "time_to": time_to.isoformat(),
                                  "scheduled": True})
                session.add(job)
        if job.status == JobStatus.pending:
            lifecycle.start(job)
        elif job.status != JobStatus.running:
            return None  # this run's job already ended: nothing more to track
        job.external_run_id = job.external_run_id or external_run_id
        job.time_from, job.time_to = job.time_from or time_from, job.time_to or time_to
        session.flush()
        return job.id


def succeed(db: Database, job_id: uuid.UUID, summary: dict[str, Any]) -> None:
    lifecycle.succeed_run(db, job_id, summary)


def fail(db: Database, job_id: uuid.UUID, message: str) -> None:
    lifecycle.fail_run(db, job_id, message)


def fail_run(db: Database, external_run_id: str, step: str, message: str) -> None:
    """An analysis step after the collection failed: the run's job fails too (a retry recollects and
    re-analyses the window; each step replaces what it wrote)."""
    with db.unit_of_work() as session:
        job_id = session.scalar(select(Job.id).where(Job.external_run_id == external_run_id,
                                                     Job.kind == JobKind.metrics.value))
    if job_id is not None:
        fail(db, job_id, f"{step}: {message}")
