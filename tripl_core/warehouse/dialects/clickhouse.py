"""ClickHouse SQL, shared by the clickhouse-connect and chDB transports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tripl_core.warehouse.base import Binder, Dialect, FieldRef, JsonRef, ParamKind, RowSample, SqlQuery, TimeWindow
from tripl_core.warehouse.intervals import Interval
from tripl_core.warehouse.sql_guard import SourceTables

_PARAM_TYPES = {
    ParamKind.STRING: "String",
    ParamKind.INT: "Int64",
    ParamKind.FLOAT: "Float64",
    ParamKind.TIMESTAMP: "DateTime64(6, 'UTC')",
    ParamKind.STRING_ARRAY: "Array(String)",
}


class ClickHouseDialect(Dialect):
    guard_dialect = "clickhouse"

    def quote_identifier(self, name: str) -> str:
        return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def placeholder(self, name: str, kind: ParamKind) -> str:
        # Server-side parameters: the type is part of the placeholder, the value travels separately.
        return f"{{{name}:{_PARAM_TYPES[kind]}}}"

    def bucket_expression(self, column_sql: str, interval: Interval) -> str:
        seconds, anchor = interval.seconds, interval.anchor_seconds
        # intDiv over the shifted epoch second keeps buckets epoch-anchored for every interval, which
        # toStartOfInterval does not guarantee for days and weeks.
        return (
            f"toDateTime(intDiv(toUnixTimestamp({column_sql}) - {anchor}, {seconds}) * {seconds} + {anchor}, "
            "'UTC')"
        )

    def json_value_expression(self, column_sql: str, path: tuple[str, ...], bind: Binder) -> str:
        keys = ", ".join(bind(key, ParamKind.STRING) for key in path)
        # One parse: strings come back unquoted, other scalars and objects as their (minified) JSON text;
        # missing, null, a path through a non-object and a document that is no JSON are NULL.
        return f"JSONExtract(toString({column_sql}), {keys}, 'Nullable(String)')"

    def parsed_source(self, base_query: str, refs: Sequence[FieldRef],
                      bind: Binder) -> tuple[str, dict[FieldRef, str]]:
        # One JSONExtract per JSON column and row reads every top-level key the refs name into a tuple
        # of Nullable(String): strings unquoted, other scalars and objects as JSON text, missing and
        # null as NULL, as json_value_expression answers. A column with one key, and deeper paths, keep
        # the per-path expression, which is one parse too and cheaper than a one-element tuple.
        top: dict[str, dict[str, int]] = {}
        for ref in refs:
            if isinstance(ref, JsonRef) and len(ref.path) == 1:
                keys = top.setdefault(ref.column, {})
                keys.setdefault(ref.path[0], len(keys) + 1)
        top = {column: keys for column, keys in top.items() if len(keys) > 1}
        if not top:
            return self.wrap(base_query), {}
        extra: list[str] = []
        values: dict[FieldRef, str] = {}
        for i, (column, keys) in enumerate(top.items()):
            text = f"ifNull(toString({self.quote_identifier(column)}), '')"
            shape = "Tuple(" + ", ".join(f"{self.quote_identifier(key)} Nullable(String)" for key in keys) + ")"
            extra += [f"JSONExtract({text}, {bind(shape, ParamKind.STRING)}) AS tripl_doc{i}",
                      f"{_object_test(text)} AS tripl_obj{i}"]
            for key, position in keys.items():
                values[JsonRef(column, (key,))] = f"if(tripl_obj{i}, tupleElement(tripl_doc{i}, {position}), NULL)"
        return f"(SELECT *, {', '.join(extra)} FROM {self.wrap(base_query)}) AS tripl_src", values

    def catalog_source(self, base_query: str, refs: Sequence[FieldRef],
                       bind: Binder) -> tuple[str, dict[FieldRef, str]]:
        # One JSONExtract per JSON column and row reads every top-level key the refs name into a tuple:
        # a leaf key as Nullable(String) (strings unquoted, other scalars and objects as JSON text, missing
        # and null as NULL, as json_value_expression answers); the parent of two-level paths as a
        # Map(String, Nullable(String)) of its members, which JSONExtract leaves empty when the value is no
        # object (an array, a string), so `map[key]` answers the same. A key wanted both ways, and deeper
        # paths, keep the per-path expression.
        leaves: dict[str, dict[str, None]] = {}
        parents: dict[str, dict[str, None]] = {}
        for ref in refs:
            if isinstance(ref, JsonRef) and len(ref.path) == 1:
                leaves.setdefault(ref.column, {})[ref.path[0]] = None
        for ref in refs:
            if (isinstance(ref, JsonRef) and len(ref.path) == 2
                    and ref.path[0] not in leaves.get(ref.column, {})):
                parents.setdefault(ref.column, {})[ref.path[0]] = None
        if not leaves and not parents:
            return self.wrap(base_query), {}
        extra: list[str] = []
        values: dict[FieldRef, str] = {}
        for i, column in enumerate(dict.fromkeys([*leaves, *parents])):
            keys = [(key, "Nullable(String)") for key in leaves.get(column, {})]
            keys += [(key, "Map(String, Nullable(String))") for key in parents.get(column, {})]
            position = {key: n for n, (key, _) in enumerate(keys, start=1)}
            text = f"ifNull(toString({self.quote_identifier(column)}), '')"
            shape = "Tuple(" + ", ".join(f"{self.quote_identifier(key)} {kind}" for key, kind in keys) + ")"
            extra += [f"JSONExtract({text}, {bind(shape, ParamKind.STRING)}) AS tripl_doc{i}",
                      f"{_object_test(text)} AS tripl_obj{i}"]
            element = {key: f"tupleElement(tripl_doc{i}, {n})" for key, n in position.items()}
            for ref in refs:
                if not isinstance(ref, JsonRef) or ref.column != column or ref in values:
                    continue
                if len(ref.path) == 1:
                    values[ref] = f"if(tripl_obj{i}, {element[ref.path[0]]}, NULL)"
                elif len(ref.path) == 2 and ref.path[0] in parents.get(column, {}):
                    member = bind(ref.path[1], ParamKind.STRING)
                    values[ref] = f"if(tripl_obj{i}, {element[ref.path[0]]}[{member}], NULL)"
        return f"(SELECT *, {', '.join(extra)} FROM {self.wrap(base_query)}) AS tripl_src", values

    def to_string(self, expression_sql: str) -> str:
        return f"toString({expression_sql})"

    def count_distinct(self, expression_sql: str) -> str:
        return f"uniqExact({expression_sql})"

    def count_distinct_upto(self, expression_sql: str, cap: int) -> str:
        # groupUniqArray(N) stops taking values once it holds N, so this is min(distinct, N), exactly,
        # in bounded memory (uniqUpTo is capped at 100; uniq is approximate).
        return f"length(groupUniqArray({int(cap)})({expression_sql}))"

    def distinct_values(self, text_sql: str, cap: int) -> str:
        return f"groupUniqArray({int(cap)})({text_sql})"

    def regex_matches(self, text_sql: str, pattern_sql: str) -> str:
        return f"match({text_sql}, {pattern_sql})"

    def to_number(self, text_sql: str) -> str:
        return f"toFloat64OrNull({text_sql})"

    def in_strings(self, text_sql: str, array_sql: str) -> str:
        return f"has({array_sql}, {text_sql})"

    def ordered_array(self, value_sql: str, order_sql: str) -> str:
        """An aggregate: the group's values as an array. Arrays built by this method in one GROUP BY pair up
        element by element (groupArray adds the rows of a group to every state in the same order), so the
        order expression is not needed here."""
        return f"groupArray({value_sql})"

    def json_keys(self, base_query: str, column: str, window: TimeWindow | None,
                  sample: RowSample | None = None) -> SqlQuery:
        bind = Binder(self)
        text = f"toString({self.quote_identifier(column)})"
        rows = self.rows_from(base_query, window, sample, bind)
        # The JSON type lists non-null leaf paths per row, once each, so counting rows per path is a
        # plain GROUP BY after arrayJoin.
        return bind.query(
            f"SELECT arrayJoin(JSONAllPaths(CAST({text} AS JSON))) AS tripl_key, count() AS tripl_count "
            f"FROM {rows} WHERE isValidJSON({text}) GROUP BY tripl_key ORDER BY tripl_key"
        )

    def schema(self, database: str | None) -> SqlQuery:
        bind = Binder(self)
        target = bind(database, ParamKind.STRING) if database else "currentDatabase()"
        return bind.query(
            f"SELECT table, name, type FROM system.columns WHERE database = {target} ORDER BY table, position"
        )

    def own_tables(self, database: str | None) -> SqlQuery:
        bind = Binder(self)
        target = bind(database, ParamKind.STRING) if database else "currentDatabase()"
        return bind.query(f"SELECT {target}, name FROM system.tables WHERE database = {target}")

    def source_tables(self, rows: Sequence[tuple[Any, ...]], database: str, project: str | None) -> SourceTables:
        home = str(rows[0][0]) if rows else database
        return SourceTables(frozenset((str(table),) for _, table in rows), home=(home,) if home else ())


def _object_test(text_sql: str) -> str:
    """Whether a document's root is an object (a root array is no object: JSONExtract would fill the tuple by
    position). Documents nearly always start with `{`; short-circuit evaluation of OR runs trimLeft, which
    copies the whole document, only for the others (measured: the copy cost ~4% of one parse per row)."""
    return f"(startsWith({text_sql}, '{{') OR startsWith(trimLeft({text_sql}), '{{'))"
