"""What a metrics collection asks the warehouse beyond the bare 15-minute GROUP BY (issue 20), timed in one
run on the benchmark's 10M-event chDB folder (bench/scan_data.py), each query through the chDB adapter
(query + decoding its answer), interleaved round by round so that load changes hit every variant alike.

    .venv/bin/python bench/metrics_query_profile.py [--data DIR] [--rounds 3]

Variants of the counting query of bench/metrics_bench.py's config (event type + `{event_name}`, breakdowns
platform and properties.currency top 10, app versions keeping 5 releases), over the 30 days:
- as collected before issue 20's replay work (plain counts as a grouping set of their own),
- now (plain counts summed from the first fold),
- now, as a replay's one pass over 30 one-day spans (ranked and folded per span),
- without the JSON breakdown and without the app versions (what those cost);
plus the planning queries: the app versions seen (whole window; per one-day span) and the `sample`."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.metrics_bench import BARE_QUERY, data_range, ensure_data  # noqa: E402
from tripl_core.warehouse import ColumnRef, FieldRef, Interval, JsonRef, WarehouseConfig, create_warehouse  # noqa: E402
from tripl_core.warehouse.base import SqlQuery  # noqa: E402
from tripl_core.warehouse.metrics import Fold, collection_counts_sql, span_top_values  # noqa: E402

BASE = "SELECT * FROM events"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "scanbench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=[], help="run only the variants whose name holds one of these")
    args = parser.parse_args(argv)
    ensure_data(args.data)
    start, last = data_range(args.data)
    end = (last + timedelta(minutes=15)).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 15)
    days = [start + timedelta(days=d) for d in range(1, (end - start).days + 1) if start + timedelta(days=d) < end]
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(args.data), timeout_seconds=900))
    dialect = warehouse.dialect
    group_by: list[FieldRef] = [ColumnRef("event_type"), ColumnRef("event_name")]
    platform = Fold(ColumnRef("platform"), top=10)
    currency = Fold(JsonRef.parse("properties.currency"), top=10)
    kept = ("5.4.0", "5.3.0", "5.2.0", "5.1.0", "5.0.0")
    versions = Fold(ColumnRef("app_version"), keep=kept)
    per_span = Fold(ColumnRef("app_version"), keep_by_span=(kept,) * (len(days) + 1))

    def counting(folds: list[Fold], plain: bool, edges: list[Any] | None = None) -> Callable[[], int]:
        query = collection_counts_sql(dialect, BASE, "ts", Interval.MIN_15, start, end, group_by, folds,
                                      edges=edges or [], plain=plain)
        return lambda: len(warehouse.run(query).rows)

    variants: dict[str, Callable[[], int]] = {
        "bare GROUP BY": lambda: len(warehouse.run(SqlQuery(BARE_QUERY, {})).rows),
        "counting, plain counts as their own grouping set (before)": counting([platform, currency, versions], True),
        "counting, plain counts summed from the first fold (now)": counting([platform, currency, versions], False),
        "counting now, 30 one-day spans (a replay's pass)": counting([platform, currency, per_span], False, days),
        "counting now without the JSON breakdown": counting([platform, versions], False),
        "counting now without the app versions": counting([platform, currency], False),
        "plain counts alone (event type, event, bucket)": counting([], True),
        "app versions seen, whole window": lambda: len(span_top_values(
            warehouse, BASE, ColumnRef("app_version"), 1000, "ts", Interval.MIN_15, start, end)),
        "app versions seen, per one-day span": lambda: len(span_top_values(
            warehouse, BASE, ColumnRef("app_version"), 1000, "ts", Interval.MIN_15, start, end, days)),
        "sample (the base query's columns)": lambda: len(warehouse.sample(BASE, 0).columns),
    }
    if args.only:
        variants = {name: run for name, run in variants.items()
                    if name == "bare GROUP BY" or any(part in name for part in args.only)}
    times: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for run in variants.values():  # warm-up: first reads of the files
            run()
        for _ in range(args.rounds):
            for name, run in variants.items():
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
    finally:
        warehouse.close()
    bare = statistics.median(times["bare GROUP BY"])
    print(json.dumps({name: {"median_s": round(statistics.median(spent), 3),
                             "x_bare": round(statistics.median(spent) / bare, 2)}
                      for name, spent in times.items()}, indent=2))


if __name__ == "__main__":
    main()
