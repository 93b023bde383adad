"""Warehouse timeout benchmark: how long a query past a data source's timeout takes to come back as
`WarehouseTimeout`, on chDB (in process) and on a real PostgreSQL server, against the configured timeout.
The tests check that the timeout is answered and the query is gone; how fast is measured here.

    .venv/bin/python bench/timeout_bench.py [--timeout 1.0] [--repeat 3]

Data: the conformance fixture (1,500 events) as Parquet for chDB and as a table in a throw-away PostgreSQL
server; the slow queries are the fault tests' cross joins (real work: the SQL guard refuses sleep())."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conformance.conftest import CONFORMANCE_DB, postgres_config
from tests.conformance.fixture_data import POSTGRES_DDL, generate_events, postgres_rows, write_parquet
from tests.conformance.test_faults import SLOW_CLICKHOUSE
from tests.support.postgres import running_postgres
from tripl_core.warehouse import ColumnRef, WarehouseConfig, WarehouseTimeout, create_warehouse

SLOW_POSTGRES = "SELECT a.id + b.id * c.id AS n FROM events AS a, events AS b, events AS c, events AS d"


def seconds_to_timeout(run: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            run()
        except WarehouseTimeout:
            out.append(time.perf_counter() - started)
        else:
            raise SystemExit("the slow query finished inside the timeout: nothing measured")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    events = generate_events()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_parquet(events, Path(tmp))
        chdb = create_warehouse(WarehouseConfig(db_type="chdb", path=tmp, timeout_seconds=args.timeout))
        results["chdb"] = seconds_to_timeout(lambda: chdb.sample(SLOW_CLICKHOUSE, 10), args.repeat)
        chdb.close()
    with running_postgres() as server:
        server.create_database(CONFORMANCE_DB)
        with psycopg.connect(server.libpq_dsn(CONFORMANCE_DB), autocommit=True) as connection:
            for ddl in POSTGRES_DDL:
                connection.execute(ddl)
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s)", postgres_rows(events))
        postgres = create_warehouse(postgres_config(server, timeout_seconds=args.timeout))
        results["postgres"] = seconds_to_timeout(
            lambda: postgres.distinct_counts(SLOW_POSTGRES, [ColumnRef("n")]), args.repeat)
        postgres.close()
    print(f"timeout {args.timeout:.1f} s, {args.repeat} runs each")
    for engine, seconds in results.items():
        median = statistics.median(seconds)
        print(f"{engine:9} answered after median {median:.2f} s (max {max(seconds):.2f} s): "
              f"{median / args.timeout:.2f}x the timeout")


if __name__ == "__main__":
    main()
