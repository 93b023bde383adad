"""Metrics benchmark (issue 6), figures measured in one run (the machine is shared and noisy).

    .venv/bin/python bench/metrics_bench.py [--data DIR] [--series 10000] [--repeat 3] [--skip-demo]
        [--app-db sqlite postgres] [--database-url URL] [--reads 30] [--skip-replay]

1. Full collection: `collect_metrics` over the 30 days of the 10M-event chDB warehouse of
   bench/scan_data.py (DIR/events, generated when missing): every scope, 2 breakdown columns (platform,
   properties.currency) with top 10 + Other, app versions; against the bare
   `SELECT event_name, toStartOfFifteenMinutes(ts) AS b, count() FROM events GROUP BY event_name, b`
   through the same chDB adapter (warm median of --repeat). Target ≤ 3x. Warehouse time is the time
   spent inside the warehouse adapter's queries; the total adds planning and the app-database writes.
2. Steady state: a 15-minute collection (the last bucket) on the same table: warehouse time, target ≤ 0.5 s.
3. Detection: --series synthetic count series x 14 days of 15-minute buckets through the detection step's
   path (`score_with_forecast`: stored counts -> grid -> `detect_many` for verdicts and forecasts, as
   `detection.detect_window` does once the points are read), target ≤ 60 s; `detect_many` alone beside it.
4. Replay: the same 30 days through `replay.collect_chunks` in 1-day chunks (each chunk one collection
   written atomically), total ÷ bare, target ≤ 6x.
5. Reads: p50 of the metrics reads on the collected data after one detection (`run.analyse`): an event's
   series (`reads.event_series`, default 7 days + the detector's history), one breakdown value's timeline
   (`drilldown.breakdown_timeline`) and the active signals (`signals.active`), each timed --reads times.
Steps 1, 2, 4 and 5 run with SQLite as the app database and with PostgreSQL (`--database-url`, or a
throw-away server started like the test suite's, tests/support/postgres.py); `--app-db` picks them.
6. The demo's planted anomalies: each generated event's 15-minute series of the demo warehouse scored by
   the detector (project defaults): planted spike/drop found, any other verdict listed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scan_bench import bench_project  # noqa: E402
from tripl_core.access.principal import Principal  # noqa: E402
from tripl_core.analysis.anomaly import detect, detect_many  # noqa: E402
from tripl_core.analysis.detector_settings import DetectorSettings  # noqa: E402
from tripl_core.db.engine import Database  # noqa: E402
from tripl_core.db.migrate import upgrade  # noqa: E402
from tripl_core.metrics import drilldown, signals  # noqa: E402
from tripl_core.metrics import reads as series_reads  # noqa: E402
from tripl_core.metrics.collect import collect_metrics  # noqa: E402
from tripl_core.metrics.replay import collect_chunks  # noqa: E402
from tripl_core.metrics.run import analyse  # noqa: E402
from tripl_core.metrics.series import score_with_forecast  # noqa: E402
from tripl_core.plan import branch_scope, event_types, events  # noqa: E402
from tripl_core.plan.event_schemas import EventCreate  # noqa: E402
from tripl_core.plan.models import Event, Project  # noqa: E402
from tripl_core.plan.type_schemas import EventTypeCreate  # noqa: E402
from tripl_core.scan_configs.models import ScanConfig  # noqa: E402
from tripl_core.scans import configs  # noqa: E402
from tripl_core.scans.schemas import ScanConfigCreate  # noqa: E402
from tripl_core.security import SecretBox  # noqa: E402
from tripl_core.warehouse import Interval, WarehouseConfig, create_warehouse  # noqa: E402
from tripl_core.warehouse.base import SqlQuery  # noqa: E402

SECRET = "metrics-bench-secret"
BARE_QUERY = "SELECT event_name, toStartOfFifteenMinutes(ts) AS b, count() FROM events GROUP BY event_name, b"
SETUP: dict[str, Any] = {
    "name": "metrics", "base_query": "SELECT * FROM events", "event_type_column": "event_type", "time_column": "ts",
    "event_name_format": "{event_name}", "interval": "15m", "metric_breakdown_columns": ["platform",
                                                                                         "properties.currency"],
    "metric_breakdown_values_limit": 10, "app_version_column": "app_version", "app_version_keep_releases": 5,
    "metrics_row_limit": 1_000_000,  # 30 days x 2,880 buckets x ~100 groups: above the 100k default
}


@contextmanager
def warehouse_clock() -> Iterator[list[float]]:
    """Seconds spent inside every chDB query (the transport's execute) while the block is open."""
    from tripl_core.warehouse.transports.chdb import ChdbTransport

    spent: list[float] = []
    original = ChdbTransport.execute

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    ChdbTransport.execute = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        ChdbTransport.execute = original  # type: ignore[method-assign]


def ensure_data(folder: Path) -> None:
    if not sorted((folder / "events").glob("*.parquet")):
        subprocess.run([sys.executable, str(ROOT / "bench" / "scan_data.py"), str(folder)], check=True)


def data_range(folder: Path) -> tuple[datetime, datetime]:
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder), timeout_seconds=600))
    try:
        row = warehouse.run(SqlQuery("SELECT min(ts), max(ts), count() FROM events", {})).rows[0]
    finally:
        warehouse.close()
    low, high = (value if value.tzinfo else value.replace(tzinfo=UTC) for value in row[:2])
    return low.replace(minute=0, second=0, microsecond=0), high


def set_up(url: str, folder: Path) -> tuple[Database, uuid.UUID]:
    upgrade(url)
    db = Database(url)
    box = SecretBox(SECRET)
    with db.unit_of_work() as session:
        owner, project, source = bench_project(session, box, folder, "bench")
        plan_scopes(session, owner, project)
        config = configs.create(session, box, project, ScanConfigCreate(data_source_id=source.id, **SETUP,
                                                                        replay_chunk_interval="1d"))
        return db, config.id


def plan_scopes(session: Any, principal: Principal, project: Any) -> None:
    """The plan a catalog scan of bench/scan_data.py writes: its 5 event types and 50 events, so the
    collection writes every scope (project total, event type, event), not the project total alone."""
    from scan_data import NAMES_PER_TYPE, TYPES

    scope = branch_scope.resolve(session, project, None, write=True)
    for type_name in TYPES:
        created = event_types.create(session, principal, scope, EventTypeCreate(name=type_name))
        events.create_many(session, principal, scope, [
            EventCreate(event_type_id=created.id, name=f"{type_name}_{index:02d}") for index in range(NAMES_PER_TYPE)
        ], bulk=True)


def bare(folder: Path, repeat: int) -> dict[str, Any]:
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder), timeout_seconds=600))
    times, rows = [], 0
    try:
        for _ in range(repeat + 1):
            started = time.perf_counter()
            rows = len(warehouse.run(SqlQuery(BARE_QUERY, {})).rows)
            times.append(time.perf_counter() - started)
    finally:
        warehouse.close()
    return {"cold_s": round(times[0], 3), "warm_median_s": round(statistics.median(times[1:]), 3), "rows": rows}


def collection(db: Database, config_id: uuid.UUID, start: datetime, end: datetime, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        with warehouse_clock() as spent:
            started = time.perf_counter()
            result = collect_metrics(db, config_id, start, end, secrets=SecretBox(SECRET), with_drifts=False)
            total = time.perf_counter() - started
        runs.append((sum(spent), total, len(spent), result))
    warehouse_s = statistics.median(r[0] for r in runs)
    total_s = statistics.median(r[1] for r in runs)
    last = runs[-1][3]
    return {"window": [start.isoformat(), end.isoformat()], "warehouse_s": round(warehouse_s, 3),
            "total_s": round(total_s, 3), "queries": runs[-1][2], "rows_read": last.rows_read,
            "points": last.points_written, "breakdown_points": last.breakdown_points_written,
            "app_version_points": last.app_version_points_written}


def replay_run(db: Database, config_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, Any]:
    with warehouse_clock() as spent:
        started = time.perf_counter()
        summary = collect_chunks(db, config_id, start, end, secrets=SecretBox(SECRET), with_drifts=False)
        total = time.perf_counter() - started
    return {"chunks": summary["chunks_done"], "warehouse_s": round(sum(spent), 3), "total_s": round(total, 3),
            "points": summary["metric_points_written"]}


def reads(db: Database, config_id: uuid.UUID, times: int) -> dict[str, Any]:
    """p50 (ms) of the metrics reads, after one detection so that signals exist."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        assert config is not None
        covered = series_reads.coverage(session, config_id)
    assert covered is not None
    started = time.perf_counter()
    analysed = analyse(db, config_id, covered[0], covered[1], now=covered[1])
    detection_s = time.perf_counter() - started
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        project = session.get(Project, config.project_id)
        event_id = session.scalars(select(Event.id).where(Event.project_id == project.id)
                                   .order_by(Event.name)).first()
        found = drilldown.event_breakdowns(session, project, event_id, "platform", None, None)
        value = found.series[0].value
        key = ("event", str(event_id))

    def timed(read: Any) -> float:
        spent = []
        for _ in range(times):
            with db.unit_of_work() as session:
                config = session.get(ScanConfig, config_id)
                project = session.get(Project, config.project_id)
                started = time.perf_counter()
                read(session, project, config)
                spent.append(time.perf_counter() - started)
        return round(1000 * statistics.median(spent), 2)

    now = covered[1]
    return {
        "detection_s": round(detection_s, 2), "signals_raised": analysed["signals_raised"],
        "event_series_p50_ms": timed(lambda s, p, c: series_reads.event_series(s, p, event_id, None, None)),
        "breakdown_timeline_p50_ms": timed(lambda s, p, c: drilldown.breakdown_timeline(
            s, c, key, "platform", value, False, None, None)),
        "active_signals_p50_ms": timed(lambda s, p, c: signals.active(s, p, now=now)),
    }


def app_database(kind: str, url: str | None, stack: ExitStack, state: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+pysqlite:///{state / 'tripl.db'}"
    if url:
        return url
    from tests.support.postgres import running_postgres

    server = stack.enter_context(running_postgres())
    return server.create_database("metrics_bench")


def one_app_database(kind: str, args: argparse.Namespace, start: datetime, end: datetime,
                     bare_s: float) -> dict[str, Any]:
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as state, ExitStack() as stack:
        db, config_id = set_up(app_database(kind, args.database_url, stack, Path(state)), args.data)
        # The load of a shared machine drifts during a run: each step is also divided by a bare query timed
        # right before it (`adjacent_bare_s`, one warm run), beside the ratio to the run's opening bare median.
        adjacent = bare(args.data, 1)["warm_median_s"]
        report["full_collection"] = collection(db, config_id, start, end, args.repeat)
        report["full_collection"]["ratio_warehouse_vs_bare"] = round(
            report["full_collection"]["warehouse_s"] / bare_s, 2)
        report["full_collection"]["ratio_total_vs_bare"] = round(report["full_collection"]["total_s"] / bare_s, 2)
        report["full_collection"]["adjacent_bare_s"] = adjacent
        report["full_collection"]["ratio_total_vs_adjacent_bare"] = round(
            report["full_collection"]["total_s"] / adjacent, 2)
        report["steady_state"] = collection(db, config_id, end - timedelta(minutes=15), end, args.repeat)
        if not args.skip_replay:
            adjacent = bare(args.data, 1)["warm_median_s"]
            report["replay"] = replay_run(db, config_id, start, end)
            report["replay"]["ratio_total_vs_bare"] = round(report["replay"]["total_s"] / bare_s, 2)
            report["replay"]["adjacent_bare_s"] = adjacent
            report["replay"]["ratio_total_vs_adjacent_bare"] = round(report["replay"]["total_s"] / adjacent, 2)
        report["reads"] = reads(db, config_id, args.reads)
        db.dispose()
    return report


def detection(series: int) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    index = pd.date_range("2024-01-01", periods=14 * 96, freq="15min", tz="UTC")
    slot = np.arange(len(index))
    rhythm = (1 + 0.6 * np.sin(2 * np.pi * (slot % 96 - 30) / 96)) * np.where(index.day_of_week >= 5, 0.8, 1.0)
    levels = rng.lognormal(3.5, 1.5, series)
    frame = pd.DataFrame(rng.poisson(levels[None, :] * rhythm[:, None]).astype(float), index=index)
    started = time.perf_counter()
    result = detect_many(frame, "15m", DetectorSettings())
    seconds = time.perf_counter() - started
    # The detection step's own path (detection.detect_window after reading the stored points): stored
    # counts -> zero-filled grid -> detect_many for the verdicts and again for the one-bucket forecasts.
    stored = {("event", str(c)): {index[t].to_pydatetime(): int(v) for t, v in enumerate(frame[c]) if v}
              for c in frame.columns}
    keys = list(stored)
    started = time.perf_counter()
    step, _ = score_with_forecast(stored, keys, index[0].to_pydatetime(),
                                  (index[-1] + pd.Timedelta(minutes=15)).to_pydatetime(), Interval.MIN_15,
                                  DetectorSettings())
    step_seconds = time.perf_counter() - started
    assert np.array_equal(step.is_anomaly, result.is_anomaly)
    one = frame[0]
    started = time.perf_counter()
    for _ in range(20):
        detect(one, "15m", DetectorSettings())
    single = (time.perf_counter() - started) / 20
    return {"series": series, "buckets": len(index), "detection_step_seconds": round(step_seconds, 2),
            "detect_many_seconds": round(seconds, 2),
            "ms_per_series": round(1000 * seconds / series, 2), "single_detect_ms": round(1000 * single, 2),
            "flagged_buckets": int(result.is_anomaly.sum())}


def demo_quality() -> dict[str, Any]:
    from tripl_core.demo.warehouse import generate_demo_warehouse

    with tempfile.TemporaryDirectory() as folder:
        cases = generate_demo_warehouse(Path(folder), end=datetime(2024, 3, 1, tzinfo=UTC))
        warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=folder, timeout_seconds=600))
        try:
            rows = warehouse.run(SqlQuery(
                f"SELECT event_name, toStartOfFifteenMinutes({cases.time_column}) AS b, count() FROM {cases.table} "
                "GROUP BY event_name, b", {})).rows
        finally:
            warehouse.close()
    counts = pd.DataFrame(rows, columns=["event", "bucket", "count"])
    counts["bucket"] = pd.to_datetime(counts["bucket"], utc=True)
    grid = pd.date_range(cases.start, cases.end - timedelta(minutes=15), freq="15min", tz="UTC")
    frame = counts.pivot_table(index="bucket", columns="event", values="count", aggfunc="sum").reindex(grid)
    result = detect_many(frame.fillna(0.0), "15m", DetectorSettings())
    flagged = {(str(name), result.timestamps[t].to_pydatetime(), str(result.direction()[s, t]))
               for s, name in enumerate(result.columns) for t in np.flatnonzero(result.is_anomaly[s])}
    planted = {(a.event_name, a.start, a.direction) for a in cases.volume_anomalies}
    settled = cases.start + timedelta(days=14)
    extra = sorted(flagged - planted)
    return {"series": len(result.columns), "planted": len(planted), "found": len(planted & flagged),
            "missed": [f"{n} {t.isoformat()} {d}" for n, t, d in sorted(planted - flagged)],
            "other_signals": [f"{n} {t.isoformat()} {d}" for n, t, d in extra],
            "other_signals_after_14_days": [f"{n} {t.isoformat()} {d}" for n, t, d in extra if t >= settled]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "scanbench")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-detection", action="store_true")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--app-db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (else a throw-away server)")
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args(argv)
    ensure_data(args.data)
    start, last = data_range(args.data)
    end = (last + timedelta(minutes=15)).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 15)
    report: dict[str, Any] = {}
    report["bare_query"] = bare(args.data, args.repeat)
    for kind in args.app_db:
        report[kind] = one_app_database(kind, args, start, end, report["bare_query"]["warm_median_s"])
    if not args.skip_detection:
        report["detection"] = detection(args.series)
    if not args.skip_demo:
        report["demo"] = demo_quality()
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
