"""Bounded concurrent work for the delivery sender: items are pulled a batch at a time from a lazy source
(so that nothing is taken long before it can start), run on a thread pool with at most `per_key` at once
for any one key (a destination) and `workers` in all, and their results handed back on the calling
thread in batches (so that one thread writes them, a batch per transaction).

Results are handed back when `flush_every` have gathered, when `flush_seconds` passed since the last
hand-back with results waiting, and at the end: a crash loses at most the results not yet handed back."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    workers: int = 16
    per_key: int = 4
    flush_every: int = 64
    flush_seconds: float = 0.25
    max_waiting: int = 64  # items taken but not started, when taking more is only for idle threads


class _Bounded(Generic[T, R]):
    def __init__(self, key: Callable[[T], Hashable], work: Callable[[T], R],
                 on_results: Callable[[list[tuple[T, R]]], None], limits: Limits) -> None:
        self.key, self.work, self.on_results, self.limits = key, work, on_results, limits
        self.waiting: deque[T] = deque()
        self.running = 0
        self.per_key: Counter[Hashable] = Counter()
        self.results: list[tuple[T, R]] = []
        self.flushed_at = time.monotonic()
        # finished items, put by the worker that ran them: waiting on one queue costs the same however many
        # run, where `concurrent.futures.wait` installed a waiter on every running future for each wake-up
        self.finished: SimpleQueue[tuple[T, R | None, BaseException | None]] = SimpleQueue()

    def run(self, batches: Iterator[list[T]]) -> None:
        exhausted = False
        with ThreadPoolExecutor(max_workers=self.limits.workers) as pool:
            while True:
                # take another batch when the pool could soon run short of work, or when threads are idle
                # because what waits is all for busy keys (one slow destination must not hold up the
                # others); what waits stays bounded by `max_waiting` plus one batch
                while not exhausted and (len(self.waiting) < self.limits.workers or (
                        self.running < self.limits.workers and len(self.waiting) < self.limits.max_waiting)):
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                    else:
                        self.waiting.extend(batch)
                self._start(pool)
                if not self.running:
                    break  # nothing running means nothing was startable: waiting is empty, the source too
                try:
                    self._finish(self.finished.get(timeout=self.limits.flush_seconds))
                    while True:  # everything else already finished, without waiting again
                        self._finish(self.finished.get_nowait())
                except Empty:
                    pass
                self._flush(force=False)
        self._flush(force=True)

    def _run_one(self, item: T) -> None:
        try:
            self.finished.put((item, self.work(item), None))
        except BaseException as error:  # handed to the calling thread, which ends the run with it
            self.finished.put((item, None, error))

    def _finish(self, done: tuple[T, R | None, BaseException | None]) -> None:
        item, result, error = done
        self.running -= 1
        self.per_key[self.key(item)] -= 1
        if error is not None:
            raise error
        self.results.append((item, result))  # type: ignore[arg-type]  # R when no error was raised

    def _start(self, pool: ThreadPoolExecutor) -> None:
        blocked: deque[T] = deque()
        while self.waiting and self.running < self.limits.workers:
            item = self.waiting.popleft()
            key = self.key(item)
            if self.per_key[key] >= self.limits.per_key:
                blocked.append(item)
                continue
            self.per_key[key] += 1
            self.running += 1
            pool.submit(self._run_one, item)
        blocked.extend(self.waiting)  # keep the order: blocked ones first, they were due earlier
        self.waiting = blocked

    def _flush(self, *, force: bool) -> None:
        if not self.results:
            return
        due = time.monotonic() - self.flushed_at >= self.limits.flush_seconds
        if force or due or len(self.results) >= self.limits.flush_every:
            batch, self.results = self.results, []
            self.on_results(batch)
            self.flushed_at = time.monotonic()


def run_bounded(batches: Iterator[list[T]], *, key: Callable[[T], Hashable], work: Callable[[T], R],
                on_results: Callable[[list[tuple[T, R]]], None], limits: Limits = Limits()) -> None:
    """Runs `work` on every item of `batches` (pulled lazily), at most `limits.per_key` at once per
    `key(item)`; `on_results` gets (item, result) pairs in batches on the calling thread. `work` must not
    raise (an exception ends the run after the results gathered so far are handed back)."""
    runner: _Bounded[T, R] = _Bounded(key, work, on_results, limits)
    try:
        runner.run(batches)
    finally:
        runner._flush(force=True)
