"""The supervisor of `tripl up` with real processes: a child that exits is reported and restarted, one that
keeps exiting stops the stack with a message naming it; stopping ends every child and what the children
spawned (grandchildren in their process groups, also one ignoring SIGTERM); and `tripl scans run` finds
the running stack from the state dir's stack.json."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from tripl_cli import stack
from tripl_cli.supervisor import Child, Supervisor
from tripl_core.settings import Settings

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_a_crashing_child_is_restarted_then_stops_the_stack(tmp_path: Path) -> None:
    lines: list[str] = []
    steady = Child("steady", [PY, "-c", "import time; time.sleep(600)"], os.environ)
    crashing = Child("crashing", [PY, "-c", "import sys; sys.exit(3)"], os.environ)
    supervisor = Supervisor([steady, crashing], echo=lines.append, max_restarts=2)
    supervisor.start()
    try:
        supervisor.watch(poll_seconds=0.1)  # returns once `crashing` exhausted its restarts
    finally:
        supervisor.stop(grace_seconds=5)
    assert lines == ["crashing exited with code 3; restarting it (1/2)",
                     "crashing exited with code 3; restarting it (2/2)"]
    assert supervisor.failure == "crashing exited with code 3 after 2 restarts; stopping tripl (see its output above)"
    assert steady.process is not None
    assert not _alive(steady.process.pid)


def test_stop_ends_children_and_grandchildren_even_those_ignoring_sigterm(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # the child starts a grandchild that ignores SIGTERM (like a stuck run worker), records both pids, waits
    script = ("import os, signal, subprocess, sys, time\n"
              "g = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
              "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
              f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{g.pid}}')\n"
              "time.sleep(600)\n")
    child = Child("parent", [PY, "-c", script], os.environ)
    supervisor = Supervisor([child], echo=lambda line: None)
    supervisor.start()
    try:
        for _ in range(200):
            if pids.exists() and len(pids.read_text().split()) == 2:
                break
            time.sleep(0.1)
        parent_pid, grandchild_pid = (int(p) for p in pids.read_text().split())
        assert _alive(grandchild_pid)
        os.kill(os.getpid(), signal.SIGTERM)  # what `kill <tripl up>` does: the supervisor's handler runs
        supervisor.watch(poll_seconds=0.05)
        assert supervisor.stopping
    finally:
        supervisor.stop(grace_seconds=1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert not _alive(parent_pid)
    assert not _alive(grandchild_pid)


def test_the_cli_finds_the_running_stack(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, dagster_url=None)
    assert stack.dagster_url(settings) is None
    stack.write(tmp_path, stack.Stack(os.getpid(), "http://127.0.0.1:8000", "http://127.0.0.1:3000"))
    assert stack.dagster_url(settings) == "http://127.0.0.1:3000"
    assert stack.dagster_url(settings.model_copy(update={"dagster_url": "http://elsewhere:3000"})) == \
        "http://elsewhere:3000"  # TRIPL_DAGSTER_URL wins
    stack.remove(tmp_path, os.getpid() + 1)  # not ours: kept
    assert stack.read(tmp_path) is not None
    stack.write(tmp_path, stack.Stack(2**22 + 12345, "http://x", "http://gone:3000"))  # a pid that is not running
    assert stack.dagster_url(settings) is None
