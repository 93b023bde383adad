"""PostgreSQL, run through psycopg (whose `%(name)s` placeholders are bound server-side)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tripl_core.warehouse.base import Binder, Dialect, ParamKind, RowSample, SqlQuery, TimeWindow
from tripl_core.warehouse.intervals import Interval
from tripl_core.warehouse.sql_guard import SourceTables


class PostgresDialect(Dialect):
    guard_dialect = "postgres"

    def quote_identifier(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def placeholder(self, name: str, kind: ParamKind) -> str:
        cast = {
            ParamKind.TIMESTAMP: "::timestamptz",
            ParamKind.STRING_ARRAY: "::text[]",
            ParamKind.INT: "::bigint",
            ParamKind.FLOAT: "::double precision",
            ParamKind.STRING: "::text",
        }[kind]
        return f"%({name})s{cast}"

    def wrap(self, base_query: str) -> str:
        # psycopg reads % as a placeholder marker whenever parameters are passed (always, here).
        return super().wrap(base_query.replace("%", "%%"))

    def bucket_expression(self, column_sql: str, interval: Interval) -> str:
        seconds, anchor = interval.seconds, interval.anchor_seconds
        return (
            f"to_timestamp(floor((extract(epoch FROM {column_sql}) - {anchor}) / {seconds}) * {seconds} "
            f"+ {anchor})"
        )

    def json_value_expression(self, column_sql: str, path: tuple[str, ...], bind: Binder) -> str:
        # #>> gives strings unquoted and other scalars as JSON text; a JSON null comes back as NULL.
        return f"(({column_sql})::jsonb #>> {bind(list(path), ParamKind.STRING_ARRAY)})"

    def to_string(self, expression_sql: str) -> str:
        return f"CAST({expression_sql} AS text)"

    def count_distinct(self, expression_sql: str) -> str:
        return f"COUNT(DISTINCT {expression_sql})"

    def distinct_values(self, text_sql: str, cap: int) -> str:
        return f"(array_remove(array_agg(DISTINCT {text_sql}), NULL))[1:{int(cap)}]"

    def regex_matches(self, text_sql: str, pattern_sql: str) -> str:
        return f"({text_sql} ~ {pattern_sql})"

    def to_number(self, text_sql: str) -> str:
        # A cast that fails aborts the query, so only text shaped like a finite number is cast.
        return (f"CASE WHEN {text_sql} ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' "
                f"THEN CAST({text_sql} AS double precision) END")

    def in_strings(self, text_sql: str, array_sql: str) -> str:
        return f"({text_sql} = ANY({array_sql}))"

    def order_text(self, expression_sql: str) -> str:
        return f'{expression_sql} COLLATE "C"'

    def ordered_array(self, value_sql: str, order_sql: str) -> str:
        """An aggregate: the group's values as an array ordered by `order_sql` (so arrays of one GROUP BY
        built with the same order pair up element by element)."""
        return f"array_agg({value_sql} ORDER BY {order_sql})"

    def json_keys(self, base_query: str, column: str, window: TimeWindow | None,
                  sample: RowSample | None = None) -> SqlQuery:
        bind = Binder(self)
        source = self.quote_identifier(column)
        rows = self.rows_from(base_query, window, sample, bind)
        return bind.query(
            "WITH RECURSIVE tripl_docs AS ("
            f"SELECT row_number() OVER () AS tripl_row, ({source})::jsonb AS tripl_doc "
            f"FROM {rows} WHERE {source} IS NOT NULL"
            "), tripl_paths AS ("
            "SELECT d.tripl_row, e.key AS tripl_key, e.value AS tripl_value FROM tripl_docs AS d "
            "CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(d.tripl_doc) = 'object' "
            "THEN d.tripl_doc ELSE '{}'::jsonb END) AS e "
            "UNION ALL "
            "SELECT p.tripl_row, p.tripl_key || '.' || e.key, e.value FROM tripl_paths AS p "
            "CROSS JOIN LATERAL jsonb_each(p.tripl_value) AS e WHERE jsonb_typeof(p.tripl_value) = 'object'"
            ") SELECT tripl_key, COUNT(DISTINCT tripl_row) AS tripl_count FROM tripl_paths "
            "WHERE jsonb_typeof(tripl_value) NOT IN ('object', 'null') "
            'GROUP BY tripl_key ORDER BY tripl_key COLLATE "C"'
        )

    def schema(self, database: str | None) -> SqlQuery:
        # The connection already chose the database; list every user schema, naming non-public tables
        # schema-qualified so a base query can use the name as shown.
        return SqlQuery(
            "SELECT CASE WHEN table_schema = 'public' THEN table_name "
            "ELSE table_schema || '.' || table_name END AS table_name, column_name, data_type "
            "FROM information_schema.columns "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_schema NOT LIKE 'pg\\_toast%%' "
            "ORDER BY table_schema, table_name, ordinal_position"
        )

    def own_tables(self, database: str | None) -> SqlQuery:
        # Tables, views, materialized views, partitioned and foreign tables outside the system schemas,
        # and whether their schema is on the search path (then a bare name reaches them too).
        return SqlQuery(
            "SELECT n.nspname, c.relname, n.nspname = ANY (current_schemas(false)) "
            "FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
        )

    def source_tables(self, rows: Sequence[tuple[Any, ...]], database: str, project: str | None) -> SourceTables:
        names: set[tuple[str, ...]] = set()
        for schema, table, on_path in rows:
            names.add((str(schema), str(table)))
            if on_path:
                names.add((str(table),))
        return SourceTables(frozenset(names), folds_unquoted=True)
