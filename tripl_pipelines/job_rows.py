"""A Dagster run's job row: found by the `tripl/job_id` tag (or created for runs started in Dagster),
marked running, and ended succeeded / failed / cancelled whatever the run's code does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster import Failure, OpExecutionContext
from sqlalchemy import select

from tripl_core.db.engine import Database
from tripl_core.jobs import lifecycle
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.scans import runs
from tripl_core.scans.launching import job_id_from_tags


@dataclass(frozen=True)
class TrackedRun:
    job_id: uuid.UUID
    scan_config_id: uuid.UUID
    cancel_requested: Callable[[], bool]


def start(context: OpExecutionContext, db: Database, kind: JobKind) -> TrackedRun | None:
    """The run's job, marked running; None when it must not run (cancelled, config deleted), which the
    job row already says."""
    scan_config_id = uuid.UUID(context.partition_key)
    job_id = job_id_from_tags(dict(context.run.tags))
    if job_id is None:
        job_id = runs.adopt(db, scan_config_id, kind, context.run_id)
        if job_id is None:
            raise Failure(description="Not started: the scan config is gone, or another scan of its project is "
                          "running (runs of one project never interleave)")
    started = runs.begin(db, job_id)
    if started is None:
        context.log.info(f"job {job_id} was cancelled or its scan config deleted before the run started")
        return None
    return TrackedRun(job_id, started.scan_config_id, lambda: lifecycle.cancel_requested(db, job_id))


@contextmanager
def outcome(db: Database, run: TrackedRun) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Yields `succeed(summary)`. A cancellation (asked for, or the run terminated) ends the job
    cancelled; any other exception ends it failed with the error's message and fails the Dagster step."""
    try:
        yield lambda summary: lifecycle.succeed_run(db, run.job_id, summary)
    except runs.ScanCancelled:
        lifecycle.cancel_run(db, run.job_id)
    except Exception as error:
        if run.cancel_requested():
            lifecycle.cancel_run(db, run.job_id)
            return
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        lifecycle.fail_run(db, run.job_id, message)
        raise Failure(description=message) from error
    except BaseException:  # terminated (Dagster interrupts the step): the job ends cancelled
        lifecycle.cancel_run(db, run.job_id, "Cancelled: the run was terminated")
        raise


def run_job_id(db: Database, tags: Mapping[str, str], run_id: str) -> uuid.UUID | None:
    """The job row a run serves: named by its `tripl/job_id` tag, else the one the run made itself."""
    job_id = job_id_from_tags(dict(tags))
    if job_id is not None:
        return job_id
    with db.unit_of_work() as session:
        return session.scalar(select(Job.id).where(Job.external_run_id == run_id))


def add_figures(db: Database, job_id: uuid.UUID | None, figures: dict[str, Any]) -> None:
    """Merge one step's figures into its job's summary (steps of one run may run in parallel processes:
    the row is locked for the read-modify-write)."""
    if job_id is None:
        return
    with db.unit_of_work() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is not None and job.status != JobStatus.cancelled.value:
            job.result_summary = {**(job.result_summary or {}), **figures}


def mirror(db: Database, run_id: str, status: JobStatus, message: str | None = None) -> int:
    """The ended Dagster run `run_id` ends the job rows it serves that its code did not end (a replay's
    success, a run that failed or was terminated before its code could say so). Returns how many."""
    with db.unit_of_work() as session:
        unfinished = [job.id for job in session.scalars(select(Job).where(Job.external_run_id == run_id))
                      if not JobStatus(job.status).finished]
    for job_id in unfinished:
        end(db, job_id, status, message)
    return len(unfinished)


def end(db: Database, job_id: uuid.UUID, status: JobStatus, message: str | None = None) -> None:
    """End the job as its run ended, its summary being the figures its steps merged in; a job that already
    ended keeps its first end (the lifecycle refuses a second)."""
    if status is JobStatus.cancelled:
        lifecycle.cancel_run(db, job_id, message or "Cancelled: the Dagster run was terminated")
    elif status is JobStatus.failed:
        lifecycle.fail_run(db, job_id, message or "The Dagster run failed")
    else:
        lifecycle.succeed_run(db, job_id, None)
