"""The one job lifecycle: allowed and refused transitions on a job, and the run side's own transactions,
where a later end never overwrites the first one."""

from __future__ import annotations

import uuid

import pytest

from tests.jobs.support import stored_job
from tripl_core.db.engine import Database
from tripl_core.jobs import lifecycle
from tripl_core.jobs.lifecycle import TransitionRefused
from tripl_core.jobs.models import Job, JobKind, JobResolution, JobStatus
from tripl_core.plan.models import Project


def _job(status: JobStatus) -> Job:
    return Job(id=uuid.uuid4(), kind=JobKind.scan.value, project_id=uuid.uuid4(), status=status, params={},
               result_summary={})


ENDS = [JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled]


@pytest.mark.parametrize("start", ENDS)
@pytest.mark.parametrize("end", ENDS)
def test_an_ended_job_never_changes_status_again(start: JobStatus, end: JobStatus) -> None:
    job = _job(start)
    moves = {JobStatus.succeeded: lambda: lifecycle.succeed(None, job, {}),  # type: ignore[arg-type]
             JobStatus.failed: lambda: lifecycle.fail(job, "late"),
             JobStatus.cancelled: lambda: lifecycle.cancel(job, "late")}
    with pytest.raises(TransitionRefused, match=f"is {start.value}; it cannot become {end.value}"):
        moves[end]()
    with pytest.raises(TransitionRefused, match="already"):
        lifecycle.request_cancel(job)
    with pytest.raises(TransitionRefused):
        lifecycle.start(job)
    assert job.status is start
    assert job.error_message is None


def test_a_run_starts_only_once_and_only_from_pending() -> None:
    job = _job(JobStatus.pending)
    lifecycle.start(job)
    assert job.status is JobStatus.running
    assert job.started_at is not None
    with pytest.raises(TransitionRefused, match="is running; it cannot become running"):
        lifecycle.start(job)
    stopping = _job(JobStatus.cancelling)
    with pytest.raises(TransitionRefused):
        lifecycle.start(stopping)


def test_a_pending_job_never_succeeds_without_running() -> None:
    job = _job(JobStatus.pending)
    with pytest.raises(TransitionRefused, match="is pending; it cannot become succeeded"):
        lifecycle.succeed(None, job, {"rows": 1})  # type: ignore[arg-type]
    assert job.result_summary == {}


def test_request_cancel_stops_a_pending_job_at_once_and_asks_a_running_one() -> None:
    pending, running = _job(JobStatus.pending), _job(JobStatus.running)
    lifecycle.request_cancel(pending)
    lifecycle.request_cancel(running)
    assert (pending.status, pending.error_message) == (JobStatus.cancelled, lifecycle.NOT_STARTED)
    assert pending.completed_at is not None
    assert (running.status, running.completed_at) == (JobStatus.cancelling, None)
    lifecycle.request_cancel(running)  # asking again while it stops changes nothing
    assert running.status is JobStatus.cancelling


@pytest.mark.parametrize("end", ENDS)
def test_a_run_asked_to_stop_still_ends_either_way(end: JobStatus) -> None:
    job = _job(JobStatus.cancelling)
    if end is JobStatus.succeeded:
        lifecycle.succeed(None, job, {"done": True})  # type: ignore[arg-type]  # no retry_of: no session use
    elif end is JobStatus.failed:
        lifecycle.fail(job, "boom")
    else:
        lifecycle.cancel(job, "Cancelled")
    assert job.status is end
    assert job.completed_at is not None


def test_progress_is_kept_until_the_job_ends() -> None:
    job = _job(JobStatus.running)
    lifecycle.record_progress(job, {"chunks_done": 1})
    lifecycle.fail(job, "boom")
    lifecycle.record_progress(job, {"chunks_done": 2})
    assert job.result_summary == {"chunks_done": 1}


def test_only_an_open_failed_job_is_dismissed() -> None:
    user = uuid.uuid4()
    with pytest.raises(TransitionRefused, match="is succeeded; only failed jobs are dismissed"):
        lifecycle.dismiss(_job(JobStatus.succeeded), user)
    job = _job(JobStatus.failed)
    assert lifecycle.needs_attention(job)
    lifecycle.dismiss(job, user)
    assert (job.status, job.resolution, job.resolved_by_id) == (JobStatus.failed, JobResolution.dismissed, user)
    assert not lifecycle.needs_attention(job)
    with pytest.raises(TransitionRefused, match="was already dismissed"):
        lifecycle.dismiss(job, user)


# -- the run side, on the app database -------------------------------------------------------------------
def _stored(db: Database, status: JobStatus, retry_of: uuid.UUID | None = None) -> uuid.UUID:
    with db.unit_of_work() as session:
        project = session.query(Project).filter_by(slug="jobs").one_or_none()
        if project is None:
            project = Project(name="Jobs", slug="jobs")
            session.add(project)
            session.flush()
        job = Job(kind=JobKind.scan.value, project_id=project.id, status=status, retry_of_id=retry_of)
        session.add(job)
        session.flush()
        return job.id


def test_the_status_column_reads_back_as_a_job_status(app_db: Database) -> None:
    job_id = _stored(app_db, JobStatus.pending)
    assert stored_job(app_db, job_id).status is JobStatus.pending
    with app_db.unit_of_work() as session:
        assert session.query(Job).filter(Job.status == "pending").count() == 1  # still a plain string in SQL


def test_the_first_recorded_end_of_a_run_stands(app_db: Database) -> None:
    """A run whose job was cancelled meanwhile cannot turn it succeeded or failed afterwards."""
    job_id = _stored(app_db, JobStatus.running)
    lifecycle.cancel_run(app_db, job_id, "Cancelled: the run was terminated")
    lifecycle.succeed_run(app_db, job_id, {"rows": 3})
    lifecycle.fail_run(app_db, job_id, "late failure")
    job = stored_job(app_db, job_id)
    assert (job.status, job.error_message, job.result_summary) == (
        JobStatus.cancelled, "Cancelled: the run was terminated", {})
    assert lifecycle.cancel_requested(app_db, job_id)


def test_a_successful_retry_resolves_the_chain_it_retried(app_db: Database) -> None:
    first = _stored(app_db, JobStatus.failed)
    second = _stored(app_db, JobStatus.failed, retry_of=first)
    third = _stored(app_db, JobStatus.running, retry_of=second)
    lifecycle.succeed_run(app_db, third, {"ok": True})
    assert stored_job(app_db, third).status is JobStatus.succeeded
    assert [stored_job(app_db, j).resolution for j in (first, second)] == [JobResolution.retried] * 2


def test_jobs_a_stopping_process_never_started_fail(app_db: Database) -> None:
    queued, done = _stored(app_db, JobStatus.pending), _stored(app_db, JobStatus.succeeded)
    lifecycle.fail_unstarted(app_db, [queued, done, uuid.uuid4()])
    assert (stored_job(app_db, queued).status, stored_job(app_db, queued).error_message) == (
        JobStatus.failed, "The server stopped before this job ran")
    assert stored_job(app_db, done).status is JobStatus.succeeded


def test_a_new_job_is_pending_before_it_is_stored() -> None:
    job = Job(kind=JobKind.metrics.value, project_id=uuid.uuid4())
    lifecycle.start(job)
    assert job.status is JobStatus.running
