"""The children of `tripl up` (Dagster code server, API, Dagster webserver, Dagster daemon), each the leader
of its own process group so that everything it spawns — such as the run workers — stays in that group and is
stopped with it. A child that exits while the stack runs is reported and restarted, a few times; past
that the stack stops with a message saying which child kept failing. SIGTERM/SIGINT stop every group:
SIGTERM first, SIGKILL after a grace period, and `stop` returns once no process of any group is left.
Children start in order; one with a `ready` check (a code server) is waited for before the next starts."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_RESTARTS = 3
READY_SECONDS = 180.0  # past this the next children start anyway (they retry, and the stack reports it)
STOP_GRACE_SECONDS = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    groups: list[int] = field(default_factory=list)  # every group this child has led (restarts add one)
    ready: Callable[[], bool] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(list(self.command), env=dict(self.env), preexec_fn=_new_group_dying_with_parent)
        self.groups.append(self.process.pid)

    def exited(self) -> int | None:
        return self.process.poll() if self.process is not None else None


def _new_group_dying_with_parent() -> None:
    """Runs in the child before exec: its own session and process group, and SIGTERM when `tripl up` dies
    without stopping it (a SIGKILL), so a child never outlives its supervisor."""
    os.setsid()
    with contextlib.suppress(OSError):  # not Linux: the stop path still signals the groups
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, children: Sequence[Child], echo: Callable[[str], None], *,
                 max_restarts: int = MAX_RESTARTS) -> None:
        self.children = list(children)
        self._echo = echo
        self._max_restarts = max_restarts
        self.stopping = False
        self.failure: str | None = None

    def start(self) -> None:
        signal.signal(signal.SIGINT, self._stop_requested)
        signal.signal(signal.SIGTERM, self._stop_requested)
        for child in self.children:
            child.start()
            if child.ready is not None:
                self._wait_ready(child, child.ready)

    def _wait_ready(self, child: Child, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not ready():
            if self.stopping or child.exited() is not None:
                return  # a stop was asked for, or `watch` restarts it and says so
            if time.monotonic() > deadline:
                self._echo(f"{child.name} is not ready after {READY_SECONDS:.0f} s; starting the rest anyway")
                return
            time.sleep(0.1)

    def _stop_requested(self, *_: object) -> None:
        self.stopping = True

    def watch(self, on_tick: Callable[[], None] = lambda: None, poll_seconds: float = 0.5) -> None:
        """Until a stop is asked for (or a child keeps failing): restart children that exit."""
        while not self.stopping:
            for child in self.children:
                code = child.exited()
                if code is None or self.stopping:
                    continue
                if child.restarts >= self._max_restarts:
                    self.failure = (f"{child.name} exited with code {code} after {child.restarts} restarts; "
                                    "stopping tripl (see its output above)")
                    self.stopping = True
                    break
                child.restarts += 1
                self._echo(f"{child.name} exited with code {code}; restarting it "
                           f"({child.restarts}/{self._max_restarts})")
                _signal_group(child.groups[-1], signal.SIGKILL)  # what it left behind goes with it
                child.start()
            on_tick()
            time.sleep(poll_seconds)

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM to every group, SIGKILL to what is left after the grace period; returns when every
        process of every group is gone."""
        groups = [group for child in self.children for group in child.groups]
        for group in groups:
            _signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and any(_alive(group) for group in groups):
            self._reap()
            time.sleep(0.2)
        for group in groups:
            _signal_group(group, signal.SIGKILL)
        deadline = time.monotonic() + 10.0  # SIGKILL is not refused: only zombies init has yet to reap
        while time.monotonic() < deadline and any(_alive(group) for group in groups):
            self._reap()
            time.sleep(0.1)
        self._reap()

    def _reap(self) -> None:
        for child in self.children:
            child.exited()


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def _alive(group: int) -> bool:
    """Whether any process of the group exists (zombies of our own children are reaped by `_reap`)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
