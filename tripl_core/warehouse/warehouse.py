"""`Warehouse`: a dialect and a transport bound to one data source, answering in plain values.

Every method that takes a `base_query` passes it through the read-only guard first — against the data
source's own tables, listed once per `Warehouse` — runs under the data source's timeout, and scrubs
the data source's secrets from any error it raises.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tripl_core.warehouse.base import (
    Column,
    Dialect,
    FieldRef,
    QueryResult,
    RowSample,
    SqlQuery,
    TableLister,
    TimeWindow,
    Transport,
)
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.errors import UnsafeQuery, WarehouseError
from tripl_core.warehouse.intervals import Interval, bucket_start
from tripl_core.warehouse.sql_guard import SourceTables, check_read_only

MAX_PREVIEW_ROWS = 50


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    error: str | None
    latency_ms: float


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: list[Column]


@dataclass(frozen=True)
class ValueCount:
    value: str | None
    count: int


@dataclass(frozen=True)
class BucketCount:
    bucket: datetime
    groups: tuple[str | None, ...]
    count: int


@dataclass(frozen=True)
class JsonKey:
    path: str
    count: int


@dataclass(frozen=True)
class Preview:
    columns: list[Column]
    rows: list[list[Any]]
    json_paths: list[JsonKey] | None


class Warehouse:
    def __init__(self, config: WarehouseConfig, dialect: Dialect, transport: Transport) -> None:
        self.config = config
        self.dialect = dialect
        self.transport = transport
        self._tables: SourceTables | None = None
        self._approved: set[str] = set()

    # -- plumbing ---------------------------------------------------------------------------------
    def run(self, query: SqlQuery) -> QueryResult:
        """Execute SQL this layer built (never raw user SQL) under the data source's timeout."""
        try:
            return self.transport.execute(query, self.config.timeout_seconds)
        except WarehouseError as error:
            scrubbed = _scrub(error.message, self.config.secrets())
            if scrubbed == error.message:
                raise
            raise type(error)(scrubbed) from None

    def check(self, base_query: str) -> None:
        """Raise UnsafeQuery unless `base_query` is one read-only SELECT in this warehouse's dialect over
        the data source's own tables. The structure is judged before the warehouse is asked anything."""
        if base_query in self._approved:
            return
        dialect = self.dialect.guard_dialect
        check_read_only(base_query, dialect)
        try:
            check_read_only(base_query, dialect, self.own_tables())
        except UnsafeQuery:
            # A table created since the listing was read: list again once before refusing.
            check_read_only(base_query, dialect, self.own_tables(refresh=True))
        self._approved.add(base_query)

    def own_tables(self, refresh: bool = False) -> SourceTables:
        """The tables a base query may read, listed by the warehouse (once, unless `refresh`)."""
        if self._tables is None or refresh:
            rows: list[tuple[Any, ...]]
            if isinstance(self.transport, TableLister):
                rows = list(self._listed_tables(self.transport))
            else:
                rows = self.run(self.dialect.own_tables(self.config.database or None)).rows
            project = str(self.config.params.get("project") or self.config.host or "") or None
            self._tables = self.dialect.source_tables(rows, self.config.database, project)
        return self._tables

    def _listed_tables(self, lister: TableLister) -> list[tuple[str, str]]:
        try:
            return lister.table_rows()
        except WarehouseError as error:
            scrubbed = _scrub(error.message, self.config.secrets())
            if scrubbed == error.message:
                raise
            raise type(error)(scrubbed) from None

    def table_query(self, table: str) -> str:
        """`SELECT * FROM <table>` with each dotted part quoted, for stats over a listed table."""
        return "SELECT * FROM " + ".".join(self.dialect.quote_identifier(part) for part in table.split("."))

    def close(self) -> None:
        self.transport.close()

    # -- data source operations -------------------------------------------------------------------
    def test(self) -> ConnectionTest:
        """Never raises: a failure is reported with the warehouse's reason."""
        started = time.perf_counter()
        try:
            self.run(self.dialect.ping())
        except WarehouseError as error:
            return ConnectionTest(False, error.message, _elapsed_ms(started))
        return ConnectionTest(True, None, _elapsed_ms(started))

    def schema(self) -> list[TableSchema]:
        result = self.run(self.dialect.schema(self.config.database or None))
        tables: dict[str, list[Column]] = {}
        for table, column, column_type in result.rows:
            tables.setdefault(str(table), []).append(Column(str(column), str(column_type)))
        return [TableSchema(name, columns) for name, columns in tables.items()]

    def hourly_counts(
        self, base_query: str, time_column: str, hours: int, now: datetime
    ) -> list[BucketCount]:
        """Rows per UTC hour for the last `hours` hours up to and including the hour holding `now`,
        zero-filled, oldest first."""
        end = bucket_start(now, Interval.HOUR_1) + timedelta(hours=1)
        start = end - timedelta(hours=hours)
        counted = {
            point.bucket: point.count
            for point in self.bucket_counts(base_query, time_column, Interval.HOUR_1, start, end)
        }
        buckets = (start + timedelta(hours=i) for i in range(hours))
        return [BucketCount(bucket, (), counted.get(bucket, 0)) for bucket in buckets]

    # -- scan and metric queries ------------------------------------------------------------------
    def preview(
        self, base_query: str, limit: int, include_json_paths: bool = False, window: TimeWindow | None = None
    ) -> Preview:
        """Up to `limit` (≤ 50) rows with column types; with `window`, only rows inside it."""
        self.check(base_query)
        limit = max(0, min(limit, MAX_PREVIEW_ROWS))
        result = self.run(self.dialect.sample(base_query, limit, window))
        rows = [[_plain(cell) for cell in row] for row in result.rows]
        if not include_json_paths:
            return Preview(result.columns, rows, None)
        paths: list[JsonKey] = []
        for index, column in enumerate(result.columns):
            if _holds_json(column, [row[index] for row in result.rows]):
                paths.extend(
                    JsonKey(f"{column.name}.{key.path}", key.count)
                    for key in self.json_keys(base_query, column.name, window)
                )
        return Preview(result.columns, rows, paths)

    def sample(self, base_query: str, limit: int) -> QueryResult:
        self.check(base_query)
        result = self.run(self.dialect.sample(base_query, limit))
        return QueryResult(result.columns, [tuple(_plain(cell) for cell in row) for row in result.rows])

    def distinct_counts(
        self, base_query: str, refs: Sequence[FieldRef], window: TimeWindow | None = None
    ) -> dict[str, int]:
        """Exact distinct non-null values per column or JSON path, keyed by its label."""
        self.check(base_query)
        if not refs:
            return {}
        row = self.run(self.dialect.distinct_counts(base_query, refs, window)).rows[0]
        return {ref.label: int(count) for ref, count in zip(refs, row, strict=True)}

    def top_values(
        self, base_query: str, ref: FieldRef, limit: int, window: TimeWindow | None = None
    ) -> list[ValueCount]:
        """The `limit` most frequent values (as strings, NULL as None), the rest folded into 'Other'."""
        self.check(base_query)
        rows = self.run(self.dialect.top_values(base_query, ref, limit, window)).rows
        return [ValueCount(_text(value), int(count)) for value, count in rows]

    def bucket_counts(
        self,
        base_query: str,
        time_column: str,
        interval: Interval,
        start: datetime,
        end: datetime,
        group_by: Sequence[FieldRef] = (),
    ) -> list[BucketCount]:
        """Counts per bucket (and per group value) for rows in [start, end); empty buckets are absent."""
        self.check(base_query)
        query = self.dialect.bucket_counts(base_query, time_column, interval, start, end, group_by)
        return [
            BucketCount(_utc(row[0]), tuple(_text(value) for value in row[1:-1]), int(row[-1]))
            for row in self.run(query).rows
        ]

    def json_keys(self, base_query: str, column: str, window: TimeWindow | None = None,
                  sample: RowSample | None = None) -> list[JsonKey]:
        """Leaf paths of `column`'s JSON objects with the rows holding each, over the window or the sample."""
        self.check(base_query)
        rows = self.run(self.dialect.json_keys(base_query, column, window, sample)).rows
        return [JsonKey(str(path), int(count)) for path, count in rows]


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise WarehouseError(f"expected a timestamp bucket, the warehouse returned {value!r}")


def utc_or_none(value: Any) -> datetime | None:
    """A timestamp cell as aware UTC; None for NULL."""
    return None if value is None else _utc(value)


def plain_cell(value: Any) -> Any:
    """A cell as a JSON-friendly value (UTC datetimes, ints for integral decimals)."""
    return _plain(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    """Cells as JSON-friendly values: UTC datetimes, ints for integral decimals."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _holds_json(column: Column, values: list[Any]) -> bool:
    if "json" in column.type.lower():
        return True
    return any(_is_json_object(value) for value in values)


def _is_json_object(value: Any) -> bool:
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False
