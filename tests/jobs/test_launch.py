"""The one launch: the run finds its committed job row, the run id or the launcher's refusal is recorded,
and the row is answered as the run left it; the one Dagster run-status map covers every Dagster status."""

from __future__ import annotations

import uuid

import pytest
from dagster import DagsterRunStatus

from tests.jobs.support import stored_job
from tripl_core.db.engine import Database
from tripl_core.jobs import lifecycle
from tripl_core.jobs.launch import LaunchFailed, launch
from tripl_core.jobs.models import Job, JobKind, JobStatus
from tripl_core.jobs.run_status import DAGSTER_RUN_STATUSES, job_status_of_run
from tripl_core.plan.models import Project


class RecordingLauncher:
    """Reads the job row from its own connection, as a run in another process would."""

    def __init__(self, db: Database, *, refuse: str | None = None, run_ends_it: bool = False) -> None:
        self.db, self.refuse, self.run_ends_it = db, refuse, run_ends_it
        self.seen: list[JobStatus | None] = []

    def launch(self, job: Job) -> str:
        with self.db.unit_of_work() as session:
            row = session.get(Job, job.id)
            self.seen.append(row.status if row is not None else None)
        if self.refuse:
            raise LaunchFailed(self.refuse)
        if self.run_ends_it:  # a fast run: started and ended before the launcher returned
            with self.db.unit_of_work() as session:
                row = session.get(Job, job.id)
                assert row is not None
                lifecycle.start(row)
            lifecycle.succeed_run(self.db, job.id, {"fast": True})
        return f"run-{len(self.seen)}"

    def terminate(self, external_run_id: str) -> None:
        raise LaunchFailed("not used here")

    def status(self, external_run_id: str) -> JobStatus | None:
        return None


def _queue(db: Database, launcher: RecordingLauncher) -> uuid.UUID:
    """A request-like unit of work: queue a job, launch it, and let the owner commit at the end."""
    with db.unit_of_work() as session:
        project = Project(name="Launch", slug=f"launch-{uuid.uuid4().hex[:8]}")
        session.add(project)
        session.flush()
        job = Job(kind=JobKind.scan.value, project_id=project.id)
        session.add(job)
        session.flush()
        return launch(session, launcher, job).id


def test_the_run_finds_its_committed_row_and_the_run_id_is_recorded(app_db: Database) -> None:
    launcher = RecordingLauncher(app_db)
    job = stored_job(app_db, _queue(app_db, launcher))
    assert launcher.seen == [JobStatus.pending]
    assert (job.status, job.external_run_id) == (JobStatus.pending, "run-1")


def test_a_refused_launch_fails_the_job_with_the_reason(app_db: Database) -> None:
    job = stored_job(app_db, _queue(app_db, RecordingLauncher(app_db, refuse="no Dagster here")))
    assert (job.status, job.error_message) == (JobStatus.failed, "Could not start the run: no Dagster here")
    assert job.external_run_id is None


def test_a_run_that_ended_before_the_launcher_returned_keeps_its_end(app_db: Database) -> None:
    job = stored_job(app_db, _queue(app_db, RecordingLauncher(app_db, run_ends_it=True)))
    assert (job.status, job.result_summary, job.external_run_id) == (JobStatus.succeeded, {"fast": True}, "run-1")


def test_a_failing_unit_of_work_after_the_launch_keeps_the_launched_row(app_db: Database) -> None:
    """The job row was committed before its run started: a later error of the caller rolls back only what
    came after the launch, never the row the run is working on."""
    launched: list[uuid.UUID] = []

    def failing_request() -> None:
        with app_db.unit_of_work() as session:
            project = Project(name="Launch", slug="launch-rollback")
            session.add(project)
            session.flush()
            job = Job(kind=JobKind.scan.value, project_id=project.id)
            session.add(job)
            session.flush()
            launched.append(launch(session, RecordingLauncher(app_db), job).id)
            raise RuntimeError("the caller failed after launching")

    with pytest.raises(RuntimeError, match="after launching"):
        failing_request()
    row = stored_job(app_db, launched[0])
    assert (row.status, row.external_run_id) == (JobStatus.pending, None)  # the run id went with the rollback


def test_every_dagster_run_status_maps_to_a_job_status() -> None:
    assert {status.value for status in DagsterRunStatus} == set(DAGSTER_RUN_STATUSES)
    assert job_status_of_run(DagsterRunStatus.CANCELING.value) is JobStatus.cancelling
    assert job_status_of_run(DagsterRunStatus.FAILURE.value) is JobStatus.failed
    assert job_status_of_run("SOMETHING_NEW") is None
