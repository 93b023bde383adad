"""The read-only guard for a scan config's `base_query`.

The query is parsed with sqlglot in the warehouse's own dialect and must be exactly one SELECT (or
WITH … SELECT, or a set operation of SELECTs). Anything that writes, changes session state, or reaches
outside the warehouse (files, URLs, other servers) is refused with a message naming what was found.
Parsing, rather than searching the text, is what lets a `'; DROP TABLE x; --'` string literal pass
while a real second statement is refused.

The guard is a first line of defence; data sources should still connect with a read-only account.
"""

from __future__ import annotations

import itertools
import logging
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from tripl_core.warehouse.errors import UnsafeQuery

GuardDialect = Literal["clickhouse", "postgres", "bigquery"]

# Table (and scalar) functions that read files, URLs, other servers or run programs.
_CLICKHOUSE_OUTSIDE = frozenset(
    name.lower()
    for name in (
        "url",
        "urlCluster",
        "file",
        "fileCluster",
        "remote",
        "remoteSecure",
        "cluster",
        "clusterAllReplicas",
        "s3",
        "s3Cluster",
        "s3Queue",
        "hdfs",
        "hdfsCluster",
        "mysql",
        "postgresql",
        "jdbc",
        "odbc",
        "mongodb",
        "redis",
        "sqlite",
        "azureBlobStorage",
        "azureBlobStorageCluster",
        "gcs",
        "gcsCluster",
        "oss",
        "cosn",
        "input",
        "executable",
        "executablePool",
        "deltaLake",
        "deltaLakeCluster",
        "deltaLakeS3",
        "deltaLakeAzure",
        "deltaLakeLocal",
        "iceberg",
        "icebergS3",
        "icebergAzure",
        "icebergHDFS",
        "icebergLocal",
        "icebergCluster",
        "icebergS3Cluster",
        "hudi",
        "hudiCluster",
        "paimon",
        "paimonS3",
        "paimonAzure",
        "paimonHDFS",
        "paimonLocal",
        "arrowFlight",
        "arrowflight",
        "ytsaurus",
        "kafka",
        "fuzzJSON",
        "fuzzQuery",
        "prometheusQuery",
        "dictionary",
    )
)
_POSTGRES_OUTSIDE = frozenset(
    (
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_send_query",
        "dblink_get_result",
        "dblink_open",
        "dblink_fetch",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "lo_from_bytea",
        "lo_put",
        "lo_unlink",
        "lo_create",
        "lo_creat",
        "lo_open",
        "lo_write",
        "pg_file_write",
        "pg_logdir_ls",
    )
)
# Functions that do not read outside but change server state or run SQL text given as a string.
_POSTGRES_SIDE_EFFECTS = frozenset(
    (
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "set_config",
        "nextval",
        "setval",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_promote",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_backup_start",
        "pg_backup_stop",
        "txid_current",
    )
)
_BIGQUERY_OUTSIDE = frozenset(("external_query", "external_object_transform"))

_STATEMENT_KINDS: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Insert, "INSERT"),
    (exp.Update, "UPDATE"),
    (exp.Delete, "DELETE"),
    (exp.Merge, "MERGE"),
    (exp.Create, "CREATE"),
    (exp.Drop, "DROP"),
    (exp.Alter, "ALTER"),
    (exp.TruncateTable, "TRUNCATE"),
    (exp.Copy, "COPY"),
    (exp.Set, "SET"),
    (exp.Use, "USE"),
    (exp.Export, "EXPORT DATA"),
    (exp.LoadData, "LOAD DATA"),
    (exp.Transaction, "BEGIN"),
    (exp.Commit, "COMMIT"),
    (exp.Rollback, "ROLLBACK"),
    (exp.Grant, "GRANT"),
    (exp.Describe, "DESCRIBE"),
    (exp.Pragma, "PRAGMA"),
    (exp.Cache, "CACHE"),
    (exp.Uncache, "UNCACHE"),
    (exp.Refresh, "REFRESH"),
)

_sqlglot_logger = logging.getLogger("sqlglot")


def check_read_only(sql: str, dialect: GuardDialect) -> None:
    """Raise UnsafeQuery unless `sql` is one read-only SELECT in `dialect`."""
    if not sql or not sql.strip():
        raise UnsafeQuery("base_query is empty; write one SELECT statement")
    tokens = _tokenize(sql, dialect)
    _check_tokens(tokens)
    statements = _parse(sql, dialect)
    if len(statements) != 1:
        raise UnsafeQuery(
            f"base_query contains {len(statements)} statements ({_describe_all(statements)}); "
            "only one SELECT is allowed"
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        if isinstance(statement, exp.Command) or any(isinstance(statement, k) for k, _ in _STATEMENT_KINDS):
            raise UnsafeQuery(
                f"base_query is a {_describe(statement)} statement, not a SELECT; only SELECT is allowed"
            )
        raise UnsafeQuery("base_query is not a SELECT statement; only SELECT is allowed")
    for node in statement.walk():
        _check_node(node, dialect)


def _tokenize(sql: str, dialect: GuardDialect) -> list[Token]:
    try:
        return list(sqlglot.tokenize(sql, read=dialect))
    except TokenError as error:
        raise UnsafeQuery(f"base_query could not be read as {dialect} SQL: {error}") from error


def _check_tokens(tokens: list[Token]) -> None:
    """Catch clauses sqlglot does not model (it fails to parse them, which would hide what was found)."""
    for previous, token in itertools.pairwise(tokens):
        word = token.text.upper()
        if previous.token_type == TokenType.INTO and word in {"OUTFILE", "DUMPFILE"}:
            raise UnsafeQuery(f"base_query writes its result to a file (INTO {word}); only SELECT is allowed")


def _parse(sql: str, dialect: GuardDialect) -> list[exp.Expr]:
    # sqlglot logs a warning whenever it falls back to an opaque Command; the guard reports it itself.
    previous_level = _sqlglot_logger.level
    _sqlglot_logger.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except (ParseError, TokenError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnsafeQuery(f"base_query could not be parsed as {dialect} SQL: {first_line}") from error
    finally:
        _sqlglot_logger.setLevel(previous_level)
    # A comment between two semicolons parses as an empty Semicolon statement: nothing runs there.
    return [
        statement
        for statement in parsed
        if statement is not None and not isinstance(statement, exp.Semicolon)
    ]


def _check_node(node: exp.Expr, dialect: GuardDialect) -> None:
    for kind, label in _STATEMENT_KINDS:
        if isinstance(node, kind):
            raise UnsafeQuery(f"base_query contains a {label} statement; only SELECT is allowed")
    if isinstance(node, exp.Command):
        raise UnsafeQuery(f"base_query contains a {_describe(node)} statement; only SELECT is allowed")
    if isinstance(node, exp.Into):
        raise UnsafeQuery("base_query uses SELECT … INTO, which creates a table; only SELECT is allowed")
    if isinstance(node, exp.Lock):
        raise UnsafeQuery("base_query locks rows (FOR UPDATE/SHARE); only plain SELECT is allowed")
    if isinstance(node, exp.Select):
        _check_select_clauses(node)
    if isinstance(node, exp.Func):
        _check_function(node, dialect)


def _check_select_clauses(select: exp.Select) -> None:
    if select.args.get("settings"):
        raise UnsafeQuery("base_query changes query settings (SETTINGS clause); remove it")
    if select.args.get("format"):
        raise UnsafeQuery("base_query sets an output FORMAT; remove it")


def _check_function(func: exp.Func, dialect: GuardDialect) -> None:
    name = _function_name(func)
    lowered = name.lower()
    if dialect == "clickhouse" and lowered in _CLICKHOUSE_OUTSIDE:
        raise UnsafeQuery(f"base_query calls the table function {name}(), which reads outside the warehouse")
    if dialect == "postgres":
        if lowered in _POSTGRES_OUTSIDE:
            raise UnsafeQuery(f"base_query calls the function {name}(), which reads outside the warehouse")
        if lowered in _POSTGRES_SIDE_EFFECTS:
            raise UnsafeQuery(f"base_query calls the function {name}(), which has side effects")
    if dialect == "bigquery":
        if lowered in _BIGQUERY_OUTSIDE:
            raise UnsafeQuery(f"base_query calls {name}(), which reads outside the warehouse")
        if isinstance(func, exp.Predict) or _qualifier(func).upper() in {"ML", "AI"}:
            raise UnsafeQuery(
                f"base_query calls the model function {_qualifier(func) or 'ML'}.{name}(); "
                "only plain SELECT is allowed"
            )


def _function_name(func: exp.Func) -> str:
    if isinstance(func, exp.Anonymous):
        return str(func.name)
    return func.sql_name()


def _qualifier(func: exp.Func) -> str:
    """The `ML` of `ML.PREDICT(...)`: sqlglot wraps a qualified call in a Dot node."""
    parent = func.parent
    if isinstance(parent, exp.Dot) and parent.expression is func:
        return parent.this.name
    return ""


def _describe(statement: exp.Expr) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    for kind, label in _STATEMENT_KINDS:
        if isinstance(statement, kind):
            return label
    if isinstance(statement, exp.Query):
        return "SELECT"
    return statement.key.upper()


def _describe_all(statements: list[exp.Expr]) -> str:
    return ", ".join(_describe(statement) for statement in statements)
