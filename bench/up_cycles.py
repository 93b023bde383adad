"""`tripl up` start/stop cycles: N starts, alternately on a fresh state dir (account, demo, Dagster storage
created) and on the state dir of the previous cycle, each waited for until the API and the Dagster code
location answer, then stopped with SIGTERM. A cycle passes when the stack said it was ready, `tripl up` exited
0 on its own within the grace period, and no process of its session is left (API, webserver, daemon, code
servers, run workers, anything they spawned).

    PYTHONPATH=$PWD .venv/bin/python bench/up_cycles.py [--cycles 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.support import Up, eventually, processes_of  # noqa: E402

READY_SECONDS = 240.0


def cycle(state_dir: Path, log: Path) -> tuple[bool, str, float, float]:
    started = time.monotonic()
    up = Up(state_dir, log)
    try:
        eventually(lambda: "tripl is ready" in up.output() or None, READY_SECONDS, "the stack being ready",
                   lambda: up.output()[-3000:])
        ready = time.monotonic() - started
        stop_started = time.monotonic()
        os.kill(up.process.pid, signal.SIGTERM)  # the supervisor only: it must stop the rest
        code = up.process.wait(timeout=60)
        stopped = time.monotonic() - stop_started
        time.sleep(0.5)
        left = processes_of(state_dir)
        if code != 0 or left:
            return False, f"exit {code}, left behind: {left}", ready, stopped
        return True, "ok", ready, stopped
    except (AssertionError, subprocess.TimeoutExpired) as error:
        return False, str(error)[:3000], time.monotonic() - started, 0.0
    finally:
        up.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tripl-up-cycles-"))
    failures = 0
    state_dir = root / "state-0"
    try:
        for n in range(args.cycles):
            fresh = n % 2 == 0
            if fresh:
                state_dir = root / f"state-{n}"
            ok, detail, ready, stopped = cycle(state_dir, root / f"up-{n}.log")
            failures += not ok
            print(f"cycle {n + 1:2d} {'fresh ' if fresh else 'reused'} ready {ready:5.1f} s  stop {stopped:4.1f} s  "
                  f"{'ok' if ok else 'FAILED: ' + detail}", flush=True)
            if fresh and n > 0:
                shutil.rmtree(root / f"state-{n - 2}", ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.cycles - failures}/{args.cycles} cycles clean")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
