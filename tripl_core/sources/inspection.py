"""What a data source's warehouse holds: connection test, schema, and hourly volume.

These functions talk to the warehouse only (no app database), so callers can run them with no app
transaction open. Every query runs under the data source's timeout (the transports enforce it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from tripl_core.errors import UpstreamError
from tripl_core.outbound import OutboundPolicy
from tripl_core.sources import endpoints
from tripl_core.sources.schemas import (
    ColumnOut,
    ConnectionTestOut,
    DataSourceOut,
    HourCount,
    SchemaOut,
    StatsOut,
    TableOut,
    TableVolume,
)
from tripl_core.warehouse import (
    ConnectionTest,
    Interval,
    TableSchema,
    Warehouse,
    WarehouseConfig,
    WarehouseError,
    bucket_start,
    create_warehouse,
)

# Preferred event-time column names, best first; otherwise the table's first timestamp column.
TIME_COLUMN_NAMES = ("event_time", "timestamp", "ts", "time", "occurred_at", "created_at")


@contextmanager
def connected(config: WarehouseConfig, policy: OutboundPolicy | None = None) -> Iterator[Warehouse]:
    """A warehouse for one call; its failures become UpstreamError (502) with the scrubbed reason. With
    `policy` the host is resolved once, checked and pinned (tripl_core.sources.endpoints)."""
    try:
        warehouse = create_warehouse(endpoints.checked_under(config, policy) if policy is not None else config)
    except WarehouseError as error:
        raise UpstreamError(f"Warehouse error: {error.message}") from None
    try:
        yield warehouse
    except WarehouseError as error:
        raise UpstreamError(f"Warehouse error: {error.message}") from None
    finally:
        warehouse.close()


def check_connection(config: WarehouseConfig, policy: OutboundPolicy | None = None) -> ConnectionTest:
    """Never raises: an unreachable or refused host, a refused login or a bad config all come back as
    ok=False."""
    started = time.perf_counter()
    try:
        warehouse = create_warehouse(endpoints.checked_under(config, policy) if policy is not None else config)
    except WarehouseError as error:
        return ConnectionTest(False, error.message, round((time.perf_counter() - started) * 1000, 3))
    try:
        return warehouse.test()
    finally:
        warehouse.close()


def connection_message(outcome: ConnectionTest) -> str:
    return outcome.error or f"Connected in {outcome.latency_ms:.0f} ms"


def connection_report(outcome: ConnectionTest, tested_at: datetime, source: DataSourceOut) -> ConnectionTestOut:
    return ConnectionTestOut(ok=outcome.ok, error=outcome.error, latency_ms=outcome.latency_ms,
                             success=outcome.ok, message=connection_message(outcome), tested_at=tested_at,
                             data_source=source)


def read_schema(config: WarehouseConfig, policy: OutboundPolicy | None = None) -> SchemaOut:
    with connected(config, policy) as warehouse:
        tables = warehouse.schema()
    return SchemaOut(tables=[
        TableOut(name=table.name, columns=[ColumnOut(name=c.name, type=c.type) for c in table.columns])
        for table in tables
    ])


def hourly_volume(config: WarehouseConfig, window_hours: int, now: datetime,
                  policy: OutboundPolicy | None = None) -> StatsOut:
    """Rows per UTC hour over the last `window_hours` hours, summed over the tables of the schema that
    have a timestamp column (scan configs do not exist yet; when they do, their base queries are what
    scans read and should be counted instead). Tables are counted one query each, in schema order, and
    counting stops once the data source's timeout has been spent, so the answer can say `complete: false`.
    """
    deadline = time.monotonic() + config.timeout_seconds
    end = bucket_start(now, Interval.HOUR_1) + timedelta(hours=1)
    totals = {end - timedelta(hours=window_hours - i): 0 for i in range(window_hours)}
    volumes: list[TableVolume] = []
    complete = True
    with connected(config, policy) as warehouse:
        for table in warehouse.schema():
            column = time_column(table)
            if column is None:
                continue
            if time.monotonic() > deadline:
                complete = False
                break
            counts = warehouse.hourly_counts(warehouse.table_query(table.name), column, window_hours, now)
            for point in counts:
                totals[point.bucket] = totals.get(point.bucket, 0) + point.count
            volumes.append(TableVolume(name=table.name, time_column=column,
                                       volume_window=sum(p.count for p in counts)))
    return StatsOut(events_tracked=len(volumes), volume_window=sum(totals.values()), window_hours=window_hours,
                    throughput=[HourCount(hour=hour, count=count) for hour, count in sorted(totals.items())],
                    tables=volumes, complete=complete)


def time_column(table: TableSchema) -> str | None:
    stamps = [c.name for c in table.columns if _is_timestamp(c.type)]
    for name in TIME_COLUMN_NAMES:
        if name in stamps:
            return name
    return stamps[0] if stamps else None


def _is_timestamp(column_type: str) -> bool:
    lowered = column_type.lower()
    return "datetime" in lowered or "timestamp" in lowered
