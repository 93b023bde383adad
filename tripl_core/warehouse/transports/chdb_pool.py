"""The processes that run the embedded engine, one per data-source folder (chdb_engine.py).

A chDB session sees every database of its engine, and chDB allows one engine per process, so the only
way to keep two data sources apart is to give each its own process; it also keeps chDB's memory (about
200 MiB loaded, up to the query cap while reading) out of the process that asked. The pool is bounded
(`MAX_ENGINES`; the least recently used idle engine is ended to make room), an engine idle for
`IDLE_SECONDS` is ended, an engine that does not answer within the query's timeout is killed
(WarehouseTimeout, a 504) and one that dies mid-query is reported (WarehouseError, a 502) and replaced on
the next query. Each engine runs one query at a time; queries on different folders run in parallel."""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tripl_core.warehouse.errors import WarehouseError, WarehouseTimeout
from tripl_core.warehouse.transports import chdb_engine, frames

# Run by path (see chdb_engine): the engine process imports only the standard library and chDB.
ENGINE_SCRIPT = Path(chdb_engine.__file__)
MAX_ENGINES = 4
IDLE_SECONDS = 120.0
# Starting an engine imports chDB (~2 s idle, far more on a loaded machine).
START_SECONDS = 90.0
# Extra seconds past the query's own max_execution_time before the engine is presumed stuck.
GRACE_SECONDS = 10.0
# An engine's address space: chDB reserves ~2 GiB of it at start, and a query may use 2 GiB more.
ADDRESS_SPACE_BYTES = 6 * 1024**3


class _Reader:
    """Frames from a pipe, waiting at most until a deadline (select on the raw descriptor)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def read(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._fd, max(65536, size - len(self._buffer)))
            if not chunk:
                raise EOFError
            self._buffer += chunk
        data, self._buffer = bytes(self._buffer[:size]), self._buffer[size:]
        return data

    def frame(self, deadline: float) -> Any:
        header = self.read(4, deadline)
        return pickle.loads(self.read(int.from_bytes(header, "big"), deadline))


@dataclass
class Engine:
    folder: str
    process: subprocess.Popen[bytes]
    reader: _Reader
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    busy: bool = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def end(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the engine's loop ends on EOF
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _start(folder: str) -> Engine:
    process = subprocess.Popen(
        [sys.executable, "-I", str(ENGINE_SCRIPT), folder, str(ADDRESS_SPACE_BYTES)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=folder, start_new_session=True,
    )
    assert process.stdout is not None
    engine = Engine(folder, process, _Reader(process.stdout.fileno()))
    try:
        kind, _database = engine.reader.frame(time.monotonic() + START_SECONDS)
    except (TimeoutError, EOFError) as error:
        process.kill()
        process.wait()
        raise WarehouseError(f"the embedded engine did not start ({type(error).__name__}, exit code "
                             f"{process.returncode})") from error
    if kind != "ready":
        engine.end()
        raise WarehouseError("the embedded engine did not start")
    return engine


class EnginePool:
    def __init__(self, max_engines: int = MAX_ENGINES, idle_seconds: float = IDLE_SECONDS) -> None:
        self.max_engines = max_engines
        self.idle_seconds = idle_seconds
        self._engines: dict[str, Engine] = {}
        self._changed = threading.Condition()
        self._owner = os.getpid()

    def run(self, folder: str, sql: str, params: dict[str, Any], timeout_seconds: float) -> bytes:
        """The engine's JSONCompact answer for one query on `folder` (a resolved path)."""
        deadline = time.monotonic() + timeout_seconds + GRACE_SECONDS
        engine = self._acquire(folder, deadline)
        try:
            return self._ask(engine, {"sql": sql, "params": params, "timeout": timeout_seconds}, deadline)
        finally:
            self._release(engine)

    def _ask(self, engine: Engine, request: dict[str, Any], deadline: float) -> bytes:
        try:
            assert engine.process.stdin is not None
            frames.write(engine.process.stdin, request)
            kind, payload = engine.reader.frame(deadline)
        except TimeoutError:
            self._discard(engine, kill=True)
            raise WarehouseTimeout(f"the embedded engine gave no answer within {request['timeout']:g} s; "
                                   "its process was ended") from None
        except (EOFError, BrokenPipeError, OSError):
            code = self._discard(engine, kill=True)
            raise WarehouseError("the embedded engine's process ended during the query (exit code "
                                 f"{code}; out of memory?); the next query starts a new one") from None
        if kind == "error":
            if "TIMEOUT_EXCEEDED" in payload or "Code: 159." in payload:
                raise WarehouseTimeout(payload)
            raise WarehouseError(payload)
        result: bytes = payload
        return result

    def _acquire(self, folder: str, deadline: float) -> Engine:
        with self._changed:
            self._adopt_after_fork()
            while True:
                self._end_idle()
                engine = self._engines.get(folder)
                if engine is not None and not engine.alive():
                    self._engines.pop(folder)
                    engine = None
                if engine is not None and not engine.busy:
                    engine.busy = True
                    return engine
                if engine is None and self._make_room():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WarehouseTimeout("the embedded engine stayed busy past the query's timeout "
                                           f"({self.max_engines} data sources at most are read at once)")
                self._changed.wait(min(remaining, 1.0))
            # Reserve the slot while the engine starts outside the lock (starting takes seconds).
            placeholder_busy = _Starting(folder)
            self._engines[folder] = placeholder_busy  # type: ignore[assignment]
        try:
            engine = _start(folder)
        except BaseException:
            with self._changed:
                self._engines.pop(folder, None)
                self._changed.notify_all()
            raise
        engine.busy = True
        with self._changed:
            self._engines[folder] = engine
        return engine

    def _release(self, engine: Engine) -> None:
        with self._changed:
            engine.busy = False
            engine.last_used = time.monotonic()
            self._changed.notify_all()

    def _discard(self, engine: Engine, *, kill: bool) -> int | None:
        if kill and engine.alive():
            engine.process.kill()
        engine.process.wait()
        with self._changed:
            if self._engines.get(engine.folder) is engine:
                self._engines.pop(engine.folder)
            self._changed.notify_all()
        return engine.process.returncode

    def _make_room(self) -> bool:
        """True when a new engine may start, ending the least recently used idle one if the pool is full."""
        if len(self._engines) < self.max_engines:
            return True
        idle = [engine for engine in self._engines.values() if not engine.busy]
        if not idle:
            return False
        oldest = min(idle, key=lambda engine: engine.last_used)
        self._engines.pop(oldest.folder)
        oldest.end()
        return True

    def _end_idle(self) -> None:
        cutoff = time.monotonic() - self.idle_seconds
        for engine in [e for e in self._engines.values() if not e.busy and e.last_used < cutoff]:
            self._engines.pop(engine.folder)
            engine.end()

    def end_idle(self) -> None:
        with self._changed:
            self._end_idle()

    def close(self) -> None:
        with self._changed:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            if not isinstance(engine, _Starting):
                engine.end()

    def folders(self) -> list[str]:
        with self._changed:
            return sorted(self._engines)

    def _adopt_after_fork(self) -> None:
        """A forked process does not own its parent's engines (their pipes are shared): start afresh."""
        if os.getpid() != self._owner:
            self._engines = {}
            self._owner = os.getpid()


class _Starting:
    """A pool slot whose engine is still starting: busy, alive, never ended by the pool."""

    busy = True
    last_used = float("inf")

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def alive(self) -> bool:
        return True

    def end(self) -> None:
        """Nothing to end yet: the starting request installs or removes the real engine."""


_pool: EnginePool | None = None
_pool_lock = threading.Lock()


def pool() -> EnginePool:
    """The process's pool; a daemon thread ends idle engines even when no query comes."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = EnginePool()
            atexit.register(_pool.close)
            threading.Thread(target=_reap, args=(_pool,), name="chdb-engine-reaper", daemon=True).start()
        return _pool


def _reap(engines: EnginePool) -> None:
    while True:
        time.sleep(max(1.0, engines.idle_seconds / 4))
        engines.end_idle()
