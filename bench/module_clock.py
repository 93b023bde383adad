"""Where the test suite's time goes, module by module: a pytest plugin that adds up each module's wall
time and the CPU time of the worker and its waited-for children, and appends one JSON line per module to
the file named by TRIPL_MODULE_CLOCK. Wall time above CPU time is waiting (subprocesses, sleeps, timeouts,
other load); CPU time is the work. Each line also holds when the module's first test started and its last
ended (`started`, `ended`, epoch seconds), to place modules on a timeline beside a system-wide CPU sample.

Usage: TRIPL_MODULE_CLOCK=/tmp/clock.jsonl ./dev.sh test -p bench.module_clock
       python bench/module_clock.py /tmp/clock.jsonl      # the table, largest wall first
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class ModuleClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.module: str | None = None
        self.totals: dict[str, float] = {}

    def flush(self) -> None:
        if self.module is not None:
            with self.path.open("a") as out:
                out.write(json.dumps({"module": self.module, "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
                                      **{key: round(value, 3) for key, value in self.totals.items()}}) + "\n")
        self.module, self.totals = None, {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        module = item.nodeid.split("::")[0]
        if module != self.module:
            self.flush()
            self.module, self.totals = module, {"wall": 0.0, "cpu": 0.0, "tests": 0.0, "started": time.time()}
        wall, cpu = time.monotonic(), _cpu()
        yield
        self.totals["ended"] = time.time()
        self.totals["wall"] += time.monotonic() - wall
        self.totals["cpu"] += _cpu() - cpu
        self.totals["tests"] += 1

    def pytest_sessionfinish(self) -> None:
        self.flush()


def pytest_configure(config: pytest.Config) -> None:
    target = os.environ.get("TRIPL_MODULE_CLOCK")
    if target:
        config.pluginmanager.register(ModuleClock(Path(target)), "tripl-module-clock")


def report(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows.sort(key=lambda row: -row["wall"])
    print(f"{'module':70} {'tests':>5} {'wall s':>8} {'cpu s':>8} {'wait s':>8}")
    for row in rows:
        print(f"{row['module']:70} {int(row['tests']):>5} {row['wall']:>8.1f} {row['cpu']:>8.1f} "
              f"{row['wall'] - row['cpu']:>8.1f}")
    print(f"{'total':70} {sum(int(r['tests']) for r in rows):>5} {sum(r['wall'] for r in rows):>8.1f} "
          f"{sum(r['cpu'] for r in rows):>8.1f}")


if __name__ == "__main__":
    report(Path(sys.argv[1]))
