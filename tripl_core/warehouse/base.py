"""The warehouse adapter interface: plain values, the SQL-building `Dialect`, the executing `Transport`.

A dialect builds every query the scans and metrics need as a `SqlQuery` (text + bound parameters) over
the user's `base_query` wrapped as a subquery; a transport runs it with the data source's timeout.
User values always travel as bound parameters and identifiers are quoted by the dialect, so nothing a
user typed is pasted into SQL text apart from the guarded `base_query` itself.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from tripl_core.warehouse.intervals import Interval
from tripl_core.warehouse.sql_guard import GuardDialect, SourceTables

OTHER = "Other"


class ParamKind(enum.Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    TIMESTAMP = "timestamp"
    STRING_ARRAY = "string_array"


@dataclass(frozen=True)
class Param:
    value: Any
    kind: ParamKind


@dataclass(frozen=True)
class SqlQuery:
    """SQL text for one dialect with its parameters, bound by the transport (never formatted in)."""

    sql: str
    params: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class QueryResult:
    columns: list[Column]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class ColumnRef:
    """A column of the base query's result."""

    name: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class JsonRef:
    """The string value at a dotted path inside a JSON (or JSON text) column: `properties.user.id`."""

    column: str
    path: tuple[str, ...]

    @classmethod
    def parse(cls, dotted: str) -> JsonRef:
        column, _, rest = dotted.partition(".")
        if not column or not rest or any(not key for key in rest.split(".")):
            raise ValueError(f"'{dotted}' is not a JSON path of the form column.key[.key…]")
        return cls(column, tuple(rest.split(".")))

    @property
    def label(self) -> str:
        return ".".join((self.column, *self.path))


FieldRef = ColumnRef | JsonRef


@dataclass(frozen=True)
class TimeWindow:
    """Rows whose `column` lies in the half-open UTC range [start, end)."""

    column: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RowSample:
    """A bounded set of the base query's rows: at most `rows`, the most recent by `time_column` when
    one is given (rows with a NULL time are then left out), else whichever rows the warehouse reads first."""

    rows: int
    time_column: str | None = None


class Binder:
    """Collects the parameters of one query and renders each placeholder in the dialect's syntax."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.params: dict[str, Param] = {}

    def __call__(self, value: Any, kind: ParamKind) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = Param(value, kind)
        return self._dialect.placeholder(name, kind)

    def query(self, sql: str) -> SqlQuery:
        return SqlQuery(sql, dict(self.params))


class Dialect(ABC):
    """Builds SQL for one SQL family. Subclasses supply the family's expressions; the query shapes
    below are shared because window functions, CASE and GROUP BY mean the same in all of them."""

    guard_dialect: GuardDialect

    # -- the family's vocabulary ------------------------------------------------------------------
    @abstractmethod
    def quote_identifier(self, name: str) -> str: ...

    @abstractmethod
    def placeholder(self, name: str, kind: ParamKind) -> str: ...

    @abstractmethod
    def bucket_expression(self, column_sql: str, interval: Interval) -> str:
        """The start of the UTC, epoch-anchored bucket holding `column_sql` (weeks from Monday)."""

    @abstractmethod
    def json_value_expression(self, column_sql: str, path: tuple[str, ...], bind: Binder) -> str:
        """The value at `path` as a string; NULL when missing or JSON null."""

    @abstractmethod
    def to_string(self, expression_sql: str) -> str: ...

    @abstractmethod
    def count_distinct(self, expression_sql: str) -> str: ...

    def count_distinct_upto(self, expression_sql: str, cap: int) -> str:
        """The number of distinct non-null values, exact up to `cap`: any answer ≥ `cap` means "at least
        `cap`" (callers clamp). By default the exact count; a dialect with a bounded aggregate uses it so
        high-cardinality columns cost neither a full distinct set in memory nor its time."""
        return self.count_distinct(expression_sql)

    @abstractmethod
    def distinct_values(self, text_sql: str, cap: int) -> str:
        """An array of at most `cap` distinct non-null values of the text expression (any order)."""

    @abstractmethod
    def regex_matches(self, text_sql: str, pattern_sql: str) -> str:
        """True when the regular expression matches anywhere in the text (a partial match)."""

    @abstractmethod
    def to_number(self, text_sql: str) -> str:
        """The text as a double; NULL when it is not a number."""

    @abstractmethod
    def in_strings(self, text_sql: str, array_sql: str) -> str:
        """True when the text is one of the strings of the array parameter."""

    @abstractmethod
    def json_keys(self, base_query: str, column: str, window: TimeWindow | None,
                  sample: RowSample | None = None) -> SqlQuery:
        """Leaf paths (dotted) of the JSON objects in `column`, with how many rows hold each;
        JSON nulls and empty objects hold no path, arrays are leaves. With `sample`, only the sampled
        rows are read (and counted)."""

    @abstractmethod
    def schema(self, database: str | None) -> SqlQuery:
        """Rows of (table, column, type) for the tables a base query can read."""

    @abstractmethod
    def own_tables(self, database: str | None) -> SqlQuery:
        """Rows naming the tables a base query may read (read back by `source_tables`)."""

    @abstractmethod
    def source_tables(self, rows: Sequence[tuple[Any, ...]], database: str, project: str | None) -> SourceTables:
        """The guard's view of the data source's own tables from the rows of `own_tables`."""

    def wrap(self, base_query: str) -> str:
        """The base query as a subquery, with a trailing semicolon (which the guard allows) removed."""
        return f"({base_query.strip().rstrip(';').strip()}\n) AS tripl_src"

    def ping(self) -> SqlQuery:
        return SqlQuery("SELECT 1")

    # -- shared query shapes ----------------------------------------------------------------------
    def field_expression(self, ref: FieldRef, bind: Binder) -> str:
        if isinstance(ref, ColumnRef):
            return self.quote_identifier(ref.name)
        return self.json_value_expression(self.quote_identifier(ref.column), ref.path, bind)

    def where(self, window: TimeWindow | None, bind: Binder) -> str:
        if window is None:
            return ""
        column = self.quote_identifier(window.column)
        start = bind(window.start, ParamKind.TIMESTAMP)
        end = bind(window.end, ParamKind.TIMESTAMP)
        return f" WHERE {column} >= {start} AND {column} < {end}"

    def parsed_source(self, base_query: str, refs: Sequence[FieldRef],
                      bind: Binder) -> tuple[str, dict[FieldRef, str]]:
        """A FROM item (aliased `tripl_src`) with every column of the base query, and expressions over it
        for the values of some of `refs` (the others use `field_expression`). By default the base query
        itself and no expressions: each JSON path parses its document where it is used. A dialect may
        parse each JSON document once per row here instead."""
        return self.wrap(base_query), {}

    def catalog_source(self, base_query: str, refs: Sequence[FieldRef],
                       bind: Binder) -> tuple[str, dict[FieldRef, str]]:
        """`parsed_source` for the catalog scan's aggregates, which read many JSON paths of every row: a
        dialect may read nested paths from its one parse of each document there too."""
        return self.parsed_source(base_query, refs, bind)

    def rows_from(self, base_query: str, window: TimeWindow | None, sample: RowSample | None, bind: Binder) -> str:
        """A FROM item (aliased `tripl_src`) holding the base query's rows inside `window`, cut down to
        `sample` when given. The most recent rows are those at or after the time of the `rows`-th most
        recent one, found by a sort of the time column alone (a top-N, no other column carried)."""
        if sample is None:
            where = self.where(window, bind)
            return f"({'SELECT * FROM ' + self.wrap(base_query) + where}) AS tripl_src" if where \
                else self.wrap(base_query)
        tests = [self.where(window, bind).removeprefix(" WHERE ")] if window is not None else []
        limit = bind(sample.rows, ParamKind.INT)
        if sample.time_column is not None:
            column = self.quote_identifier(sample.time_column)
            inner = [*([self.where(window, bind).removeprefix(" WHERE ")] if window is not None else []),
                     f"{column} IS NOT NULL"]
            cut = (f"SELECT MIN({column}) FROM (SELECT {column} FROM {self.wrap(base_query)} "
                   f"WHERE {' AND '.join(inner)} ORDER BY {column} DESC LIMIT {bind(sample.rows, ParamKind.INT)}"
                   ") AS tripl_recent")
            tests.append(f"{column} >= ({cut})")
        where = f" WHERE {' AND '.join(tests)}" if tests else ""
        return f"(SELECT * FROM {self.wrap(base_query)}{where} LIMIT {limit}) AS tripl_src"

    def sample(self, base_query: str, limit: int, window: TimeWindow | None = None) -> SqlQuery:
        bind = Binder(self)
        where = self.where(window, bind)
        return bind.query(f"SELECT * FROM {self.wrap(base_query)}{where} LIMIT {bind(limit, ParamKind.INT)}")

    def distinct_counts(
        self, base_query: str, refs: Sequence[FieldRef], window: TimeWindow | None
    ) -> SqlQuery:
        """One row: the exact number of distinct non-null values of each ref, in order."""
        bind = Binder(self)
        counts = ", ".join(
            f"{self.count_distinct(self.field_expression(ref, bind))} AS tripl_d{i}"
            for i, ref in enumerate(refs)
        )
        return bind.query(f"SELECT {counts} FROM {self.wrap(base_query)}{self.where(window, bind)}")

    def top_values(self, base_query: str, ref: FieldRef, limit: int, window: TimeWindow | None) -> SqlQuery:
        """Rows of (value, count): the `limit` most frequent values (ties by value), then 'Other'."""
        bind = Binder(self)
        value = self.to_string(self.field_expression(ref, bind))
        counted = (
            f"SELECT {value} AS tripl_value, COUNT(*) AS tripl_count FROM {self.wrap(base_query)}"
            f"{self.where(window, bind)} GROUP BY 1"
        )
        ranked = (
            "SELECT tripl_value, tripl_count, ROW_NUMBER() OVER (ORDER BY tripl_count DESC, "
            f"{self.order_text('tripl_value')} ASC NULLS LAST) AS tripl_rank "
            f"FROM ({counted}) AS tripl_counted"
        )
        top = bind(limit, ParamKind.INT)
        other = bind(OTHER, ParamKind.STRING)
        folded = (
            f"SELECT CASE WHEN tripl_rank <= {top} THEN tripl_value ELSE {other} END AS tripl_value, "
            "SUM(tripl_count) AS tripl_count, MIN(tripl_rank) AS tripl_order "
            f"FROM ({ranked}) AS tripl_ranked GROUP BY 1"
        )
        return bind.query(
            f"SELECT tripl_value, tripl_count FROM ({folded}) AS tripl_folded ORDER BY tripl_order"
        )

    def bucket_counts(
        self,
        base_query: str,
        time_column: str,
        interval: Interval,
        start: datetime,
        end: datetime,
        group_by: Sequence[FieldRef] = (),
    ) -> SqlQuery:
        """Rows of (bucket, group values as strings…, count) for rows in [start, end)."""
        bind = Binder(self)
        bucket = self.bucket_expression(self.quote_identifier(time_column), interval)
        groups = [
            f"{self.to_string(self.field_expression(ref, bind))} AS tripl_g{i}"
            for i, ref in enumerate(group_by)
        ]
        keys = ["tripl_bucket", *(f"tripl_g{i}" for i in range(len(group_by)))]
        select = ", ".join([f"{bucket} AS tripl_bucket", *groups, "COUNT(*) AS tripl_count"])
        where = self.where(TimeWindow(time_column, start, end), bind)
        positions = ", ".join(str(i + 1) for i in range(len(keys)))
        return bind.query(
            f"SELECT {select} FROM {self.wrap(base_query)}{where} GROUP BY {positions} ORDER BY {positions}"
        )

    def order_text(self, expression_sql: str) -> str:
        """How a string sorts for tie-breaks; byte order everywhere so every warehouse agrees."""
        return expression_sql


@runtime_checkable
class TableLister(Protocol):
    """A transport that lists the data source's tables through its API rather than SQL: rows of
    (dataset, table) as `Dialect.source_tables` reads them."""

    def table_rows(self) -> list[tuple[str, str]]: ...


class Transport(Protocol):
    """Runs a dialect's SqlQuery on one driver under a timeout."""

    def execute(self, query: SqlQuery, timeout_seconds: float) -> QueryResult: ...

    def close(self) -> None: ...
