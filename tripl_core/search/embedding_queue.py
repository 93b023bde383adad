"""Embeddings follow commits: branches whose documents changed are queued, and one background thread
embeds their new or changed documents with its own sessions (seconds after the write, off the request)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

log = logging.getLogger(__name__)


class EmbeddingQueue:
    def __init__(self, run: Callable[[uuid.UUID], int]) -> None:
        self._run = run
        self._pending: dict[uuid.UUID, None] = {}
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, branch_ids: set[uuid.UUID]) -> None:
        if not branch_ids:
            return
        with self._cond:
            if self._closed:
                return
            for branch_id in branch_ids:
                self._pending[branch_id] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="tripl-embeddings", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued or running; False when `timeout` seconds pass first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout=timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._pending.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if self._closed:
                    return
                branch_id = next(iter(self._pending))
                del self._pending[branch_id]
                self._busy = True
            try:
                self._run(branch_id)
            except Exception:  # a failed batch stays unembedded; the next write or reindex retries it
                log.exception("embedding the search documents of branch %s failed", branch_id)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
