"""The read-only guard for a scan config's `base_query`: an allowlist over the parsed tree.

A base query is accepted only when everything in it is known to be harmless:
- the text reads the same to the engines and to the parser (see `sql_lexing`): plain ASCII outside
  string literals and quoted identifiers, comments that cannot hide code, no unicode-escape forms;
- it is exactly one SELECT (or WITH … SELECT, or a set operation of SELECTs), and the tree sqlglot
  builds from the Unicode-normalised text reads back to itself when generated and parsed again;
- every node is of a listed kind, every function is on its dialect's list of pure scalar, aggregate
  and window functions (`sql_allowlist`), every cast targets a plain type;
- no clause that writes, locks or changes settings (INTO, FOR UPDATE, SETTINGS, FORMAT) anywhere;
- every table is a CTE in scope or a plain name: no table functions, no system catalogs, and — when the
  data source's own tables are known (`SourceTables`) — one of those.

Refusals name what was refused and why. The guard is the first line of defence; the transports run
the query read-only too, and docs/security.md describes the least-privileged account for each engine.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from tripl_core.warehouse.errors import UnsafeQuery
from tripl_core.warehouse.sql_allowlist import (
    BIGQUERY_FUNCTIONS,
    CLICKHOUSE_AGGREGATES,
    CLICKHOUSE_COMBINATORS,
    CLICKHOUSE_FUNCTIONS,
    DATA_TYPES,
    POSTGRES_FUNCTIONS,
    PURE_FUNCTIONS,
    STRUCTURE,
)
from tripl_core.warehouse.sql_lexing import GuardDialect, check_agreement, check_characters, tokens_of

__all__ = ["GuardDialect", "SourceTables", "check_read_only"]

# Schemas and databases that hold an engine's catalog; refused even before the data source's own
# tables are known (lower case).
_SYSTEM_SCHEMAS = frozenset({"system", "information_schema", "pg_catalog", "pg_toast", "mysql"})

_STATEMENT_LABELS: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Insert, "INSERT"), (exp.Update, "UPDATE"), (exp.Delete, "DELETE"), (exp.Merge, "MERGE"),
    (exp.Create, "CREATE"), (exp.Drop, "DROP"), (exp.Alter, "ALTER"), (exp.TruncateTable, "TRUNCATE"),
    (exp.Copy, "COPY"), (exp.Set, "SET"), (exp.Use, "USE"), (exp.Export, "EXPORT DATA"),
    (exp.LoadData, "LOAD DATA"), (exp.Transaction, "BEGIN"), (exp.Commit, "COMMIT"),
    (exp.Rollback, "ROLLBACK"), (exp.Grant, "GRANT"), (exp.Describe, "DESCRIBE"), (exp.Pragma, "PRAGMA"),
    (exp.Cache, "CACHE"), (exp.Uncache, "UNCACHE"), (exp.Refresh, "REFRESH"), (exp.Values, "VALUES"),
)
# Arguments of a query node that change what the statement does beyond reading rows.
_FORBIDDEN_CLAUSES: dict[str, str] = {
    "into": "SELECT … INTO creates a table",
    "locks": "FOR UPDATE/SHARE locks rows",
    "settings": "a SETTINGS clause changes engine settings",
    "format": "a FORMAT clause changes the output",
    "options": "an OPTIONS clause changes engine behaviour",
    "for_": "a FOR clause changes the output",
    "connect": "CONNECT BY is not supported here",
    "hint": "optimizer hints are not allowed",
    "hints": "table hints are not allowed",
    "system_time": "time travel (FOR SYSTEM_TIME) is not allowed",
    "version": "time travel is not allowed",
    "changes": "CHANGES is not allowed",
    "operation_modifiers": "query modifiers are not allowed",
    "distribute": "DISTRIBUTE BY is not allowed",
    "cluster": "CLUSTER BY is not allowed",
    "udfs": "temporary functions are not allowed",
    "recursive": "WITH RECURSIVE is not allowed (it can run without bound)",
    "materialized": "MATERIALIZED CTEs are not allowed",
    "match": "MATCH_RECOGNIZE is not allowed",
    "global_": "GLOBAL joins reach other servers",
}

# The nodes whose arguments are clauses (a function's `format` argument is only a value).
_CLAUSE_HOLDERS = (exp.Query, exp.Subquery, exp.Table, exp.Join, exp.CTE, exp.With)

_sqlglot_logger = logging.getLogger("sqlglot")


@dataclass(frozen=True)
class SourceTables:
    """The tables a base query may read, as the data source lists them.

    `names` holds each table as its parts (e.g. `("events",)` or `("analytics", "sessions")`);
    `home` holds the qualifiers that name the data source's own default database, schema or dataset,
    which may be written in front of a bare name (`("public",)`, `("default",)`, `("proj", "ds")`).
    `case_sensitive` is how the engine compares unquoted names (PostgreSQL folds them to lower case).
    """

    names: frozenset[tuple[str, ...]]
    home: tuple[str, ...] = ()
    folds_unquoted: bool = False
    wildcards: bool = False

    def resolve(self, parts: list[tuple[str, bool]]) -> tuple[str, ...] | None:
        """The listed name a reference means, or None when it is not one of the data source's tables."""
        written = tuple(name if quoted or not self.folds_unquoted else name.lower() for name, quoted in parts)
        for candidate in self._candidates(written):
            if candidate in self.names:
                return candidate
            if self.wildcards and candidate[-1].endswith("*"):
                prefix = candidate[-1][:-1]
                if any(name[:-1] == candidate[:-1] and name[-1].startswith(prefix) for name in self.names):
                    return candidate
        return None

    def _candidates(self, written: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield written
        for size in range(1, len(self.home) + 1):
            qualifier = self.home[len(self.home) - size:]
            if len(written) == size + 1 and written[:-1] == qualifier:
                yield written[-1:]


@dataclass
class _Scope:
    """CTE names visible to a table reference, found by walking up its ancestors."""

    names: set[str] = field(default_factory=set)


def check_read_only(sql: str, dialect: GuardDialect, tables: SourceTables | None = None) -> None:
    """Raise UnsafeQuery unless `sql` is one read-only SELECT in `dialect` made only of allowed parts;
    with `tables`, also unless every table it reads is one of them."""
    if not sql or not sql.strip():
        raise UnsafeQuery("base_query is empty; write one SELECT statement")
    segments = check_characters(sql, dialect)
    tokens = tokens_of(sql, dialect)
    normalised = unicodedata.normalize("NFKC", sql)
    statement = _single_statement(_parse(normalised, dialect))
    check_agreement(sql, dialect, segments, tokens)
    for node in statement.walk():
        _check_node(node, dialect, tables)
    _check_round_trip(statement, dialect)


def _parse(sql: str, dialect: GuardDialect) -> list[exp.Expr]:
    # sqlglot logs a warning whenever it falls back to an opaque Command; the guard reports it itself.
    previous_level = _sqlglot_logger.level
    _sqlglot_logger.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except (ParseError, TokenError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnsafeQuery(f"base_query could not be parsed as {dialect} SQL: {first_line}") from error
    except (RecursionError, ValueError, TypeError) as error:
        raise UnsafeQuery(f"base_query could not be parsed as {dialect} SQL ({type(error).__name__})") from error
    finally:
        _sqlglot_logger.setLevel(previous_level)
    # A comment between two semicolons parses as an empty Semicolon statement: nothing runs there.
    return [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]


def _single_statement(statements: list[exp.Expr]) -> exp.Query:
    if len(statements) != 1:
        raise UnsafeQuery(
            f"base_query contains {len(statements)} statements ({', '.join(map(_describe, statements))}); "
            "only one SELECT is allowed"
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise UnsafeQuery(f"base_query is a {_describe(statement)} statement, not a SELECT; "
                          "only SELECT is allowed")
    return statement


def _check_round_trip(statement: exp.Query, dialect: GuardDialect) -> None:
    """The tree, generated as SQL and parsed again, must generate the same SQL: a parse that does not
    read back to itself means the parser guessed, and a guess is not something to approve."""
    try:
        generated = statement.sql(dialect=dialect)
        again = _parse(generated, dialect)
        regenerated = again[0].sql(dialect=dialect) if len(again) == 1 else None
    except UnsafeQuery:
        regenerated = None
    except Exception:  # sqlglot's generator may reject a tree it parsed; that is a refusal too
        regenerated = None
    if regenerated != generated:
        raise UnsafeQuery("base_query does not read back the same after parsing; simplify it")


def _check_node(node: exp.Expr, dialect: GuardDialect, tables: SourceTables | None) -> None:
    for label_type, label in _STATEMENT_LABELS:
        if isinstance(node, label_type):
            raise UnsafeQuery(f"base_query contains a {label} statement; only SELECT is allowed")
    if isinstance(node, exp.Command):
        raise UnsafeQuery(f"base_query contains a {_describe(node)} statement; only SELECT is allowed")
    if isinstance(node, _CLAUSE_HOLDERS):
        for key, reason in _FORBIDDEN_CLAUSES.items():
            if node.args.get(key) and key in node.arg_types:
                raise UnsafeQuery(f"base_query is refused: {reason}")
    if isinstance(node, exp.Table):
        _check_table(node, dialect, tables)
    elif isinstance(node, exp.Func) and not isinstance(node, tuple(STRUCTURE)):
        _check_function(node, dialect)
    elif isinstance(node, exp.DataType):
        _check_type(node)
    elif isinstance(node, exp.Dot):
        _check_dot(node)
    elif type(node) not in STRUCTURE:
        raise UnsafeQuery(f"base_query uses {_construct(node)}, which is not allowed in a base query")


def _check_dot(node: exp.Dot) -> None:
    if isinstance(node.expression, exp.Func):
        qualifier = node.this.sql() if isinstance(node.this, exp.Expr) else str(node.this)
        name = f"{qualifier}.{_function_name(node.expression)}"
        raise UnsafeQuery(f"function `{name}` is not allowed (qualified functions are not on the allowlist)")


def _check_type(node: exp.DataType) -> None:
    kind = node.this
    if kind not in DATA_TYPES:
        written = node.sql()
        raise UnsafeQuery(f"type `{written}` is not allowed in a cast (only plain value types are)")


def _check_function(func: exp.Func, dialect: GuardDialect) -> None:
    if isinstance(func, exp.Anonymous | exp.AnonymousAggFunc | exp.CombinedAggFunc | exp.ParameterizedAgg |
                  exp.CombinedParameterizedAgg):
        if isinstance(func.this, exp.Identifier) and func.this.quoted:
            raise UnsafeQuery(f"function `{func.this.name}` is not allowed: function names may not be quoted")
        name = _function_name(func)
        if not _allowed_name(name, dialect):
            raise UnsafeQuery(f"function `{name}` is not allowed (not on the {dialect} allowlist of pure "
                              "functions)")
        return
    if type(func) not in PURE_FUNCTIONS:
        raise UnsafeQuery(f"function `{_function_name(func)}` is not allowed (not on the {dialect} allowlist "
                          "of pure functions)")


def _allowed_name(name: str, dialect: GuardDialect) -> bool:
    if dialect == "clickhouse":
        return name in CLICKHOUSE_FUNCTIONS or _combined_aggregate(name)
    listed = POSTGRES_FUNCTIONS if dialect == "postgres" else BIGQUERY_FUNCTIONS
    return name.lower() in listed


def _combined_aggregate(name: str) -> bool:
    """`sumIf`, `uniqExactIf`, `groupArrayDistinct`, `avgOrNullIf`: an aggregate with combinators."""
    for suffix in CLICKHOUSE_COMBINATORS:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if base in CLICKHOUSE_AGGREGATES or _combined_aggregate(base):
                return True
    return False


def _function_name(func: exp.Expr) -> str:
    if isinstance(func, exp.Anonymous | exp.AnonymousAggFunc | exp.CombinedAggFunc | exp.ParameterizedAgg |
                  exp.CombinedParameterizedAgg):
        return func.this.name if isinstance(func.this, exp.Identifier) else str(func.this)
    if isinstance(func, exp.Func):
        return func.sql_name()
    return func.key


def _check_table(table: exp.Table, dialect: GuardDialect, tables: SourceTables | None) -> None:
    target = table.this
    if isinstance(target, exp.Func) or not isinstance(target, exp.Identifier):
        name = _function_name(target) if isinstance(target, exp.Expr) else str(target)
        raise UnsafeQuery(f"table function `{name}` is not allowed: a base query reads only the data "
                          "source's own tables")
    alias = table.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.columns and not alias.name:
        raise UnsafeQuery(f"table function `{target.name}` is not allowed: a base query reads only the data "
                          "source's own tables")
    parts = _table_parts(table, dialect)
    shown = ".".join(name for name, _ in parts)
    if len(parts) == 1 and _cte_in_scope(table, parts[0]):
        return
    lowered = [name.lower() for name, _ in parts]
    if any(part in _SYSTEM_SCHEMAS for part in lowered[:-1]) or \
            (dialect == "bigquery" and any(part.startswith("region-") for part in lowered)) or \
            (dialect == "bigquery" and lowered[-1].startswith("__") and lowered[-1].endswith("__")) or \
            (dialect == "postgres" and len(parts) == 1 and lowered[0].startswith("pg_")):
        raise UnsafeQuery(f"table `{shown}` is not a table of this data source (system catalogs are not "
                          "readable)")
    if tables is not None and tables.resolve(parts) is None:
        raise UnsafeQuery(f"table `{shown}` is not a table of this data source")


def _table_parts(table: exp.Table, dialect: GuardDialect) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    for key in ("catalog", "db", "this"):
        identifier = table.args.get(key)
        if isinstance(identifier, exp.Identifier):
            names = identifier.name.split(".") if dialect == "bigquery" else [identifier.name]
            parts.extend((name, bool(identifier.quoted)) for name in names)
        elif identifier is not None:
            raise UnsafeQuery(f"table `{table.sql(dialect=dialect)}` is not a plain table name")
    return parts


def _cte_in_scope(table: exp.Table, part: tuple[str, bool]) -> bool:
    """True when the bare name refers to a CTE of an enclosing WITH that is visible from `table`:
    from the query body all of the WITH's CTEs, from inside CTE number i only those before it."""
    name = part[0]
    path: list[exp.Expr] = [table]
    parent = table.parent
    while parent is not None:
        with_ = parent.args.get("with_") if isinstance(parent, exp.Query) else None
        if isinstance(with_, exp.With):
            ctes = [cte for cte in with_.expressions if isinstance(cte, exp.CTE) and not cte.args.get("scalar")]
            if len(path) >= 2 and path[-1] is with_:
                inside = path[-2]
                position = next((i for i, cte in enumerate(ctes) if cte is inside), 0)
                ctes = ctes[:position]
            if any(_cte_name(cte) == name for cte in ctes):
                return True
        path.append(parent)
        parent = parent.parent
    return False


def _cte_name(cte: exp.Expr) -> str:
    alias = cte.args.get("alias")
    return alias.name if isinstance(alias, exp.TableAlias) else ""


def _construct(node: exp.Expr) -> str:
    text = node.sql()
    shown = text if len(text) <= 60 else text[:57] + "…"
    return f"{node.key.upper()} (`{shown}`)"


def _describe(statement: exp.Expr) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    for label_type, label in _STATEMENT_LABELS:
        if isinstance(statement, label_type):
            return label
    if isinstance(statement, exp.Query):
        return "SELECT"
    return statement.key.upper()
