"""Storage options for metric points (issue 20), measured on SQLite and PostgreSQL in one run.

    .venv/bin/python bench/metrics_store_options.py [--series 660] [--days 30] [--interval-minutes 15]

The shape of a full 30-day collection of the metrics benchmark (bench/metrics_bench.py: ~660 series of
15-minute buckets, 1.9M points) written two ways, each in one transaction after deleting the window:

- `rows`: one row per point, integer keys (series id, bucket as epoch seconds), plain tuples —
  SQLite `executemany`, PostgreSQL `COPY`;
- `days`: one row per series and UTC day, the day's buckets as a packed little-endian int64 array (a BLOB /
  bytea; bucket i starts at day + i × interval) — same bulk paths, 96× fewer rows.

Then the reads: one series over 28 days (a chart), every series over 28 days (detection), one bucket across
all series (signals), each the median of --repeat runs, decoded to Python (bucket → count) as the services
would use them.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = 86_400


def dataset(series: int, days: int, step: int) -> np.ndarray:
    """counts[series, bucket]: a daily rhythm at log-normal levels, ~2/3 of the series dense."""
    rng = np.random.default_rng(5)
    slots = days * DAY // step
    rhythm = 1 + 0.6 * np.sin(2 * np.pi * (np.arange(slots) % (DAY // step)) / (DAY // step))
    levels = rng.lognormal(2.0, 1.8, series)
    return rng.poisson(levels[:, None] * rhythm[None, :]).astype(np.int64)


class Store:
    """One app database: run SQL, executemany, bulk-load rows."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        self.conn: Any = sqlite3.connect(target, isolation_level=None) if kind == "sqlite" else \
            psycopg.connect(target, autocommit=True)
        self.blob = "BLOB" if kind == "sqlite" else "BYTEA"
        self.p = "?" if kind == "sqlite" else "%s"

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(statement.replace("?", self.p), params)
        return list(cursor.fetchall()) if cursor.description else []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def load(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if self.kind == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            return
        with self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def write_rows(store: Store, counts: np.ndarray, start: int, step: int) -> None:
    series_ids, slots = np.nonzero(counts)
    buckets = (start + slots * step).tolist()
    rows = list(zip(series_ids.tolist(), buckets, counts[series_ids, slots].tolist(), strict=True))
    with store.transaction():
        store.sql("DELETE FROM pts WHERE bucket >= ? AND bucket < ?", (start, start + counts.shape[1] * step))
        store.load("pts", ("series_id", "bucket", "count"), rows)


def write_days(store: Store, counts: np.ndarray, start: int, step: int) -> None:
    per_day = DAY // step
    days = counts.shape[1] // per_day
    cube = counts.reshape(counts.shape[0], days, per_day).astype("<i8")
    totals = cube.sum(axis=2)
    rows = [(s, start + d * DAY, step, cube[s, d].tobytes(), int(totals[s, d]))
            for s in range(counts.shape[0]) for d in range(days) if totals[s, d]]
    with store.transaction():
        store.sql("DELETE FROM days WHERE day >= ? AND day < ?", (start, start + days * DAY))
        store.load("days", ("series_id", "day", "step", "counts", "total"), rows)


def read_rows(store: Store, series: int | None, low: int, high: int) -> dict[int, dict[int, int]]:
    where, params = ("series_id = ? AND ", (series,)) if series is not None else ("", ())
    out: dict[int, dict[int, int]] = {}
    for sid, bucket, count in store.sql(f"SELECT series_id, bucket, count FROM pts WHERE {where}bucket >= ? AND "
                                        "bucket < ?", (*params, low, high)):
        out.setdefault(sid, {})[bucket] = count
    return out


def read_days(store: Store, series: int | None, low: int, high: int) -> dict[int, dict[int, int]]:
    where, params = ("series_id = ? AND ", (series,)) if series is not None else ("", ())
    out: dict[int, dict[int, int]] = {}
    for sid, day, step, blob in store.sql(f"SELECT series_id, day, step, counts FROM days WHERE {where}day >= ? "
                                          "AND day < ?", (*params, low - low % DAY, high)):
        values = np.frombuffer(blob, dtype="<i8")
        slots = np.flatnonzero(values)
        moments = day + slots * step
        inside = (moments >= low) & (moments < high)
        out.setdefault(sid, {}).update(zip(moments[inside].tolist(), values[slots][inside].tolist(), strict=True))
    return out


def median_ms(action: Callable[[], object], repeat: int) -> float:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        spent.append(time.perf_counter() - started)
    return round(1000 * statistics.median(spent), 2)


def measure(store: Store, counts: np.ndarray, step: int, repeat: int) -> dict[str, Any]:
    start = 1_700_000_000 - 1_700_000_000 % DAY
    end = start + counts.shape[1] * step
    store.sql("CREATE TABLE pts (series_id INTEGER NOT NULL, bucket BIGINT NOT NULL, count BIGINT NOT NULL, "
              "PRIMARY KEY (series_id, bucket))")
    store.sql("CREATE INDEX ix_pts_bucket ON pts (bucket)")
    store.sql(f"CREATE TABLE days (series_id INTEGER NOT NULL, day BIGINT NOT NULL, step INTEGER NOT NULL, "
              f"counts {store.blob} NOT NULL, total BIGINT NOT NULL, PRIMARY KEY (series_id, day))")
    store.sql("CREATE INDEX ix_days_day ON days (day)")
    out: dict[str, Any] = {"points": int(np.count_nonzero(counts))}
    for name, write, read in (("rows", write_rows, read_rows), ("days", write_days, read_days)):
        spent = []
        for _ in range(2):  # the second write replaces the first: the delete is part of the cost
            started = time.perf_counter()
            write(store, counts, start, step)
            spent.append(time.perf_counter() - started)
        low = end - 28 * DAY
        last = end - step
        one = read(store, 7, low, end)
        assert sum(one[7].values()) == int(counts[7, (low - start) // step:].sum())
        out[name] = {
            "write_s": round(min(spent), 3),
            "read_one_series_28d_ms": median_ms(lambda: read(store, 7, low, end), repeat),  # noqa: B023
            "read_all_series_28d_ms": median_ms(lambda: read(store, None, low, end), max(3, repeat // 5)),  # noqa: B023
            "read_one_bucket_all_series_ms": median_ms(lambda: read(store, None, last, end), repeat),  # noqa: B023
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=660)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--interval-minutes", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", help="libpq DSN of an empty PostgreSQL database (else a throw-away one)")
    args = parser.parse_args(argv)
    step = args.interval_minutes * 60
    counts = dataset(args.series, args.days, step)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        store = Store("sqlite", str(Path(folder) / "options.db"))
        report["sqlite"] = measure(store, counts, step, args.repeat)
        store.conn.close()
    if args.database_url:
        report["postgres"] = measure(Store("postgres", args.database_url), counts, step, args.repeat)
    else:
        from tests.support.postgres import running_postgres

        with running_postgres() as server:
            server.create_database("store_options")
            store = Store("postgres", server.libpq_dsn("store_options"))
            report["postgres"] = measure(store, counts, step, args.repeat)
            store.conn.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
