"""GoogleSQL (BigQuery), run through google-cloud-bigquery with named `@name` query parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tripl_core.warehouse.base import Binder, Dialect, ParamKind, RowSample, SqlQuery, TimeWindow
from tripl_core.warehouse.intervals import Interval
from tripl_core.warehouse.sql_guard import SourceTables


class BigQueryDialect(Dialect):
    guard_dialect = "bigquery"

    def quote_identifier(self, name: str) -> str:
        return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def placeholder(self, name: str, kind: ParamKind) -> str:
        return f"@{name}"

    def bucket_expression(self, column_sql: str, interval: Interval) -> str:
        seconds, anchor = interval.seconds, interval.anchor_seconds
        # DIV truncates toward zero; timestamps before the anchor are not analytics events.
        return (
            f"TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(TIMESTAMP({column_sql})) - {anchor}, {seconds}) * {seconds} "
            f"+ {anchor})"
        )

    def json_value_expression(self, column_sql: str, path: tuple[str, ...], bind: Binder) -> str:
        # A JSONPath may be a query parameter; keys are quoted inside it so any key name is literal.
        json_path = "$" + "".join('."' + key.replace('"', '\\"') + '"' for key in path)
        # JSON_VALUE reads a JSON column and JSON text alike.
        return f"JSON_VALUE({column_sql}, {bind(json_path, ParamKind.STRING)})"

    def to_string(self, expression_sql: str) -> str:
        return f"CAST({expression_sql} AS STRING)"

    def count_distinct(self, expression_sql: str) -> str:
        return f"COUNT(DISTINCT {expression_sql})"

    def distinct_values(self, text_sql: str, cap: int) -> str:
        return f"ARRAY_AGG(DISTINCT {text_sql} IGNORE NULLS LIMIT {int(cap)})"

    def regex_matches(self, text_sql: str, pattern_sql: str) -> str:
        return f"REGEXP_CONTAINS({text_sql}, {pattern_sql})"

    def to_number(self, text_sql: str) -> str:
        return f"SAFE_CAST({text_sql} AS FLOAT64)"

    def in_strings(self, text_sql: str, array_sql: str) -> str:
        return f"{text_sql} IN UNNEST({array_sql})"

    def ordered_array(self, value_sql: str, order_sql: str) -> str:
        """An aggregate: the group's values as an array ordered by `order_sql` (so arrays of one GROUP BY
        built with the same order pair up element by element); values must not be NULL."""
        return f"ARRAY_AGG({value_sql} ORDER BY {order_sql})"

    def json_keys(self, base_query: str, column: str, window: TimeWindow | None,
                  sample: RowSample | None = None) -> SqlQuery:
        bind = Binder(self)
        # Events keep properties as JSON text; SAFE.PARSE_JSON makes malformed text a NULL document.
        doc = f"SAFE.PARSE_JSON({self.quote_identifier(column)})"
        rows = self.rows_from(base_query, window, sample, bind)
        # JSON_KEYS lists every key path of a row, intermediate objects included; a leaf is a path
        # no other path of the same row extends.
        return bind.query(
            "SELECT tripl_key, COUNT(*) AS tripl_count FROM ("
            f"SELECT JSON_KEYS({doc}) AS tripl_keys FROM {rows}"
            ") AS tripl_docs, UNNEST(tripl_keys) AS tripl_key "
            "WHERE NOT EXISTS (SELECT 1 FROM UNNEST(tripl_keys) AS tripl_other "
            "WHERE STARTS_WITH(tripl_other, CONCAT(tripl_key, '.'))) "
            "GROUP BY tripl_key ORDER BY tripl_key"
        )

    def schema(self, database: str | None) -> SqlQuery:
        if not database:
            raise ValueError("a BigQuery data source needs a dataset in `database`")
        dataset = ".".join(self.quote_identifier(part) for part in database.split("."))
        return SqlQuery(
            "SELECT table_name, column_name, data_type "
            f"FROM {dataset}.INFORMATION_SCHEMA.COLUMNS ORDER BY table_name, ordinal_position"
        )

    def own_tables(self, database: str | None) -> SqlQuery:
        # Not used: BigQueryTransport lists tables through the API (`table_rows`), which needs no
        # INFORMATION_SCHEMA permission and also covers a data source without a default dataset.
        return self.schema(database)

    def source_tables(self, rows: Sequence[tuple[Any, ...]], database: str, project: str | None) -> SourceTables:
        """Rows of (dataset, table). Without a default dataset every dataset of the project is the data
        source's (a query names `dataset.table`); with one, bare names are that dataset's tables."""
        dataset = database.split(".")[-1] if database else ""
        names: set[tuple[str, ...]] = set()
        for row_dataset, table in rows:
            names.add((str(row_dataset), str(table)))
            if str(row_dataset) == dataset:
                names.add((str(table),))
        if "." in database:
            home: tuple[str, ...] = tuple(database.split("."))
        elif database:
            home = (project, database) if project else (database,)
        else:
            home = (project,) if project else ()
        # Sharded tables (events_20240101, …) are read through a wildcard: `events_*`.
        return SourceTables(frozenset(names), home=home, wildcards=True)
