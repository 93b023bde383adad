"""The in-process job worker: runs off the caller's thread, and hands back what it never started."""

from __future__ import annotations

import threading
import uuid

from tripl_core.sources.worker import JobWorker


def test_runs_jobs_and_returns_unstarted_ones_on_shutdown() -> None:
    worker = JobWorker(max_workers=1)
    release, started = threading.Event(), threading.Event()
    ran: list[uuid.UUID] = []

    def blocking(job_id: uuid.UUID) -> None:
        started.set()
        assert release.wait(10)
        ran.append(job_id)

    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    worker.submit(blocking, first)
    assert started.wait(10)
    worker.submit(ran.append, second)
    worker.submit(ran.append, third)
    threading.Timer(0.2, release.set).start()  # shutdown cancels the queued runs, then waits for the first
    assert sorted(worker.shutdown()) == sorted([second, third])
    assert ran == [first]


def test_a_crashing_run_does_not_stop_the_worker() -> None:
    worker = JobWorker(max_workers=1)
    finished = threading.Event()

    def crash(_job_id: uuid.UUID) -> None:
        raise RuntimeError("bug in a run")

    worker.submit(crash, uuid.uuid4())
    worker.submit(lambda _job_id: finished.set(), uuid.uuid4())
    assert finished.wait(10)
    assert worker.shutdown() == []
