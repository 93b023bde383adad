"""Catalog scan benchmark (issues 5 and 20): a full catalog scan of a 10M-event chDB warehouse through
`tripl scans run PROJECT SCAN --wait`, next to the bare `SELECT event_name, count() FROM events GROUP BY
event_name` on the same files, in the same run.

    .venv/bin/python bench/scan_bench.py [--data DIR] [--events 10000000] [--days 30] [--repeat 3]

The data comes from bench/scan_data.py (generated into DIR unless DIR/events already holds Parquet
files). A fresh state dir gets a SQLite app database, an owner, a `chdb` data source, a project and a
scan config (the demo project's setup) through the services; then the scan runs as a child process with
the in-process launcher, whose wall time and peak RSS (wait4 of that child alone) are reported. The bare
query runs through the same chDB adapter in a child process of its own, once cold and `--repeat` times
warm; so does the floor's parse query (PARSE_QUERY: one JSONExtract of every row's properties). Targets:
scan job ≤ 1.3x the floor (bare + parse, warm medians; issue 20), scan process peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import accounts
from tripl_core.access.principal import Principal
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.plan import projects
from tripl_core.plan.models import Project
from tripl_core.plan.schemas import ProjectCreate
from tripl_core.scans import configs
from tripl_core.scans.schemas import ScanConfigCreate
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.models import DataSource
from tripl_core.sources.schemas import DataSourceCreate
from tripl_core.warehouse.base import QueryResult, SqlQuery

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "scan-bench-secret"
PROJECT, SCAN = "bench", "catalog"
BARE_QUERY = "SELECT event_name, count() FROM events GROUP BY event_name"
SCAN_SETUP: dict[str, Any] = {
    "name": SCAN, "base_query": "SELECT * FROM events", "event_type_column": "event_type", "time_column": "ts",
    "event_name_format": "{event_name}", "json_value_paths": ["properties.screen", "properties.button",
                                                              "properties.currency"],
    "metric_breakdown_columns": ["platform"], "distribution_drift_fields": ["properties.currency", "platform"],
    "app_version_column": "app_version",
}
# The floor of a scan that must count JSON values exactly (SEMANTICS §2): one parse of every row's
# `properties` into the 8 top-level keys the data holds (the shape the scan's own JSONExtract reads:
# leaves as Nullable(String), the nested `ab` as a Map), each key's presence counted, no grouping. The
# floor is this query's time plus the bare GROUP BY's, both timed in the same run as the scan.
PARSE_SHAPE = ("Tuple(screen Nullable(String), button Nullable(String), price Nullable(String), "
               "currency Nullable(String), ab Map(String, Nullable(String)), position Nullable(String), "
               "network Nullable(String), referrer Nullable(String))")
PARSE_QUERY = ("SELECT " + " + ".join(f"count(tupleElement(doc, {n}))" for n in (1, 2, 3, 4, 6, 7, 8))
               + " + countIf(length(mapKeys(tupleElement(doc, 5))) > 0) FROM (SELECT JSONExtract("
               f"ifNull(toString(properties), ''), '{PARSE_SHAPE}') AS doc FROM events)")
# Runs the bare query in a fresh process (a cold chDB engine, like the scan's), then warm repeats.
BARE_SCRIPT = """
import json, sys, time
from tripl_core.warehouse import WarehouseConfig, create_warehouse
from tripl_core.warehouse.base import SqlQuery
warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=sys.argv[1], timeout_seconds=600))
times, rows = [], 0
for _ in range(int(sys.argv[3]) + 1):
    started = time.perf_counter()
    rows = len(warehouse.run(SqlQuery(sys.argv[2], {})).rows)
    times.append(time.perf_counter() - started)
print(json.dumps({"times": times, "rows": rows}))
"""


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_child(command: list[str], env: dict[str, str]) -> ChildRun:
    """Wall time and peak RSS of this one child (os.wait4: no other child's memory mixes in)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(seconds, usage.ru_maxrss / 1024, process.returncode, out.read().decode(), err.read().decode())


def ensure_data(folder: Path, events: int, days: int) -> dict[str, Any]:
    parts = sorted((folder / "events").glob("*.parquet"))
    if parts:
        return {"generated": False, "parts": len(parts), "bytes": sum(p.stat().st_size for p in parts)}
    generated = run_child([sys.executable, str(ROOT / "bench" / "scan_data.py"), str(folder), "--events", str(events),
                           "--days", str(days)], dict(os.environ))
    if generated.returncode != 0:
        raise SystemExit(f"scan_data.py failed:\n{generated.stderr}")
    return {"generated": True, **json.loads(generated.stdout)}


def bench_project(session: Session, box: SecretBox, folder: Path, slug: str) -> tuple[Principal, Project, DataSource]:
    """An owner, a `chdb` data source over `folder` and a project: where the scan and metrics benches start."""
    owner = Principal(accounts.register(session, email="bench@example.com", password="bench password", name="Bench"))
    source = data_sources.create(session, box, DataSourceCreate(name="bench", db_type="chdb", path=str(folder),
                                                                timeout_seconds=600))
    return owner, projects.create(session, owner, ProjectCreate(name="Bench", slug=slug)), source


def set_up_state(state_dir: Path, folder: Path) -> dict[str, str]:
    """App database, owner, data source, project and scan config; returns the child processes' env."""
    url = f"sqlite+pysqlite:///{state_dir / 'tripl.db'}"
    upgrade(url)
    db = Database(url)
    box = SecretBox(SECRET)
    with db.unit_of_work() as session:
        _, project, source = bench_project(session, box, folder, PROJECT)
        configs.create(session, box, project, ScanConfigCreate(data_source_id=source.id, **SCAN_SETUP))
    db.dispose()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRIPL_")}
    return env | {"TRIPL_STATE_DIR": str(state_dir), "TRIPL_DATABASE_URL": url, "TRIPL_SECRET_KEY": SECRET}


def bare_query(folder: Path, repeat: int, env: dict[str, str], sql: str = BARE_QUERY) -> dict[str, Any]:
    child = run_child([sys.executable, "-c", BARE_SCRIPT, str(folder), sql, str(repeat)], env)
    if child.returncode != 0:
        raise SystemExit(f"the bare query failed:\n{child.stderr}")
    answer = json.loads(child.stdout)
    times: list[float] = answer["times"]
    return {"cold_s": round(times[0], 3), "warm_median_s": round(statistics.median(times[1:]), 3),
            "warm_s": [round(t, 3) for t in times[1:]], "rows": answer["rows"],
            "process_s": round(child.seconds, 2), "process_peak_rss_mib": round(child.peak_rss_mib, 1)}


def catalog_scan(env: dict[str, str]) -> dict[str, Any]:
    child = run_child([str(BIN / "tripl"), "scans", "run", PROJECT, SCAN, "--wait", "--in-process"], env)
    try:
        job = json.loads(child.stdout)
    except ValueError:
        raise SystemExit(f"tripl scans run printed no job (exit {child.returncode}):\n{child.stderr[-4000:]}") from None
    run_seconds = None
    if job.get("started_at") and job.get("completed_at"):
        run_seconds = (datetime.fromisoformat(job["completed_at"]) - datetime.fromisoformat(job["started_at"]))
    return {"status": job["status"], "error_message": job.get("error_message"), "exit_code": child.returncode,
            "command_s": round(child.seconds, 2),
            "job_s": round(run_seconds.total_seconds(), 2) if run_seconds is not None else None,
            "peak_rss_mib": round(child.peak_rss_mib, 1), "result_summary": job.get("result_summary", {})}


def profile_queries(env: dict[str, str]) -> dict[str, Any]:
    """The catalog scan run here (no Dagster), with each warehouse query's time: which ones dominate."""
    from tripl_core.scan_configs.models import ScanConfig
    from tripl_core.scans.catalog_scan import run_catalog_scan
    from tripl_core.warehouse.warehouse import Warehouse

    timings: list[tuple[float, str]] = []
    original = Warehouse.run

    def timed(self: Warehouse, query: SqlQuery) -> QueryResult:
        started = time.perf_counter()
        try:
            return original(self, query)
        finally:
            timings.append((time.perf_counter() - started, " ".join(query.sql.split())))

    db = Database(env["TRIPL_DATABASE_URL"])
    try:
        with db.unit_of_work() as session:
            scan_id = session.scalars(select(ScanConfig.id)).one()
        Warehouse.run = timed  # type: ignore[method-assign]
        started = time.perf_counter()
        run_catalog_scan(db, scan_id, None, secrets=SecretBox(SECRET))
        total = time.perf_counter() - started
    finally:
        Warehouse.run = original  # type: ignore[method-assign]
        db.dispose()
    warehouse_s = sum(seconds for seconds, _ in timings)
    slowest = sorted(timings, reverse=True)[:8]
    return {"scan_s": round(total, 2), "warehouse_s": round(warehouse_s, 2), "queries": len(timings),
            "slowest": [{"s": round(seconds, 2), "sql": sql[:400]} for seconds, sql in slowest]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tripl-scan-bench",
                        help="warehouse folder (DATA/events/*.parquet; generated when missing)")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs of the bare query")
    parser.add_argument("--profile", action="store_true",
                        help="also run the scan in this process, timing every warehouse query it sends")
    args = parser.parse_args(argv)
    folder = args.data.resolve()
    data = ensure_data(folder, args.events, args.days)
    with tempfile.TemporaryDirectory(prefix="tripl-scan-bench-") as state:
        env = set_up_state(Path(state), folder)
        bare_before = bare_query(folder, args.repeat, env)
        parse_before = bare_query(folder, args.repeat, env, PARSE_QUERY)
        scan = catalog_scan(env)
        bare_after = bare_query(folder, args.repeat, env)
        parse_after = bare_query(folder, args.repeat, env, PARSE_QUERY)
        profile = profile_queries(env) if args.profile else None
    bare_cold = min(bare_before["cold_s"], bare_after["cold_s"])
    bare_warm = statistics.median(bare_before["warm_s"] + bare_after["warm_s"])
    parse_warm = statistics.median(parse_before["warm_s"] + parse_after["warm_s"])
    floor = bare_warm + parse_warm
    report = {
        "data": {"path": str(folder), **data},
        "bare_query": {"sql": BARE_QUERY, "before_scan": bare_before, "after_scan": bare_after},
        "parse_query": {"sql": PARSE_QUERY, "before_scan": parse_before, "after_scan": parse_after},
        "floor_s": round(floor, 3),
        "ratio_job_to_floor": round(scan["job_s"] / floor, 2) if scan["job_s"] else None,
        "catalog_scan": scan,
        "ratio_command_to_bare_warm": round(scan["command_s"] / bare_warm, 2),
        "ratio_job_to_bare_warm": round(scan["job_s"] / bare_warm, 2) if scan["job_s"] else None,
        "ratio_job_to_bare_cold": round(scan["job_s"] / bare_cold, 2) if scan["job_s"] else None,
        "targets": {"ratio_max": 5, "floor_ratio_max": 1.3, "peak_rss_mib_max": 1024},
    }
    if profile is not None:
        report["profile"] = profile
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if scan["status"] == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
