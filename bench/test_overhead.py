"""What an ordinary API test costs before its own requests, and what one request costs, measured in one run.

Per test: the private database (a PostgreSQL clone from the migrated template and its drop, or an SQLite
file copy) with the test server's data on disk and in memory (tests/support/scratch.py), as wall time and
as the PostgreSQL server's CPU (its processes' CPU from /proc, children included), then the app a test
builds (create_app, lifespan start and stop). Per request: a signed-in GET through the TestClient, as
wall and CPU time of this process (the app runs in it).

    PYTHONPATH=$PWD .venv/bin/python bench/test_overhead.py [--clones 30] [--requests 300]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support.databases import Copies, PostgresCopies, SqliteCopies
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database

TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(server: PostgresServer) -> float:
    """CPU seconds of the server's postmaster and its processes (ended ones counted by the postmaster)."""
    with Database(server.url("postgres")).engine.connect() as connection:
        checkpointer = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").scalar_one()
    postmaster = int(Path(f"/proc/{checkpointer}/stat").read_text().rsplit(")", 1)[1].split()[1])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def clone_cost(copies: Copies, folder: Path, n: int, cpu: Callable[[], float] | None) -> tuple[float, float]:
    """Median wall ms of clone + drop, and the server's mean CPU ms per clone + drop (0 without a server)."""
    walls: list[float] = []
    before = cpu() if cpu else 0.0
    for _ in range(n):
        started = time.perf_counter()
        copies.drop(copies.clone(copies.migrated, folder))
        walls.append(time.perf_counter() - started)
    used = (cpu() - before) if cpu else 0.0
    return statistics.median(walls) * 1000, used / n * 1000


def app_cost(url: str, folder: Path, n: int) -> tuple[float, float]:
    """Median wall ms and mean CPU ms of what a test's `client` fixture does: build the app, start, stop."""
    walls: list[float] = []
    cpu = time.process_time()
    for index in range(n):
        started = time.perf_counter()
        with TestClient(create_app(make_settings(url, folder / f"state-{index}"))):
            pass
        walls.append(time.perf_counter() - started)
    return statistics.median(walls) * 1000, (time.process_time() - cpu) / n * 1000


def request_cost(url: str, folder: Path, n: int) -> dict[str, tuple[float, float]]:
    """Per path: median wall ms and mean CPU ms of one signed-in GET through the TestClient."""
    found: dict[str, tuple[float, float]] = {}
    with TestClient(create_app(make_settings(url, folder / "state-requests"))) as client:
        db = Database(url)
        ws = Workspace.create(client, db)
        ws.project()
        for path in ("/healthz", "/api/v1/projects", "/api/v1/projects/shop/events"):
            for _ in range(20):
                ws.owner.get(path)
            walls: list[float] = []
            cpu = time.process_time()
            for _ in range(n):
                started = time.perf_counter()
                assert ws.owner.get(path).status_code == 200
                walls.append(time.perf_counter() - started)
            found[path] = (statistics.median(walls) * 1000, (time.process_time() - cpu) / n * 1000)
        db.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clones", type=int, default=30)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    disk_root = Path(tempfile.mkdtemp(prefix="tripl-bench-disk-"))
    disk_root.chmod(0o755)  # the server's own user must reach its data directory inside
    work = Path(tempfile.mkdtemp(prefix="tripl-bench-"))
    results: dict[str, tuple[float, float]] = {}
    for where in ("disk", "memory"):
        os.environ["TRIPL_TEST_SCRATCH"] = str(disk_root) if where == "disk" else ""
        with running_postgres() as server:
            pg = PostgresCopies(server)
            results[f"postgres clone+drop ({where})"] = clone_cost(pg, work, args.clones, lambda: server_cpu(server))
            if where == "memory":
                url = pg.clone(pg.migrated, work)
                results["postgres app build+start+stop"] = app_cost(url, work, 10)
                for path, cost in request_cost(url, work, args.requests).items():
                    results[f"postgres GET {path}"] = cost
            pg.close()
        (work / where).mkdir()
        lite = SqliteCopies(work / where)
        results[f"sqlite clone+drop ({where})"] = clone_cost(lite, work, args.clones, None)
        if where == "memory":
            url = lite.clone(lite.migrated, work)
            results["sqlite app build+start+stop"] = app_cost(url, work, 10)
            for path, cost in request_cost(url, work, args.requests).items():
                results[f"sqlite GET {path}"] = cost
        lite.close()
    print(f"{'what':48} {'wall ms':>9} {'cpu ms':>9}   (cpu: the server's for clones, this process's otherwise)")
    for name, (wall, cpu) in results.items():
        print(f"{name:48} {wall:9.1f} {cpu:9.1f}")
    for engine in ("postgres", "sqlite"):
        disk, memory = results[f"{engine} clone+drop (disk)"], results[f"{engine} clone+drop (memory)"]
        cpu_ratio = f", server CPU {disk[1] / memory[1]:.1f}x" if memory[1] else ""
        print(f"{engine} clone+drop, disk / memory: wall {disk[0] / memory[0]:.1f}x{cpu_ratio}")
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    shutil.rmtree(disk_root, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
