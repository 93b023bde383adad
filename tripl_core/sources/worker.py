"""A small pool that runs jobs off the request path (previews today) inside the API process."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

JobRun = Callable[[uuid.UUID], None]


class JobWorker:
    """Runs `run(job_id)` on a few threads. The caller commits the job row before `submit`, so the run
    always finds it. `shutdown` drops runs that never started and returns their job ids, so the owner
    can mark them failed instead of leaving them pending forever."""

    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tripl-job")
        self._queued: dict[uuid.UUID, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, run: JobRun, job_id: uuid.UUID) -> None:
        with self._lock:  # held until the future is recorded, so `_run` cannot forget it first
            self._queued[job_id] = self._pool.submit(self._run, run, job_id)

    def shutdown(self) -> list[uuid.UUID]:
        """Wait for running jobs (each bounded by its warehouse timeout); return the unstarted ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            dropped = [job_id for job_id, future in self._queued.items() if future.cancelled()]
            self._queued.clear()
        return dropped

    def _run(self, run: JobRun, job_id: uuid.UUID) -> None:
        try:
            run(job_id)
        except Exception:  # a run records its own failures; this is a bug in the run itself
            log.exception("job %s crashed", job_id)
        finally:
            with self._lock:
                self._queued.pop(job_id, None)
