"""PostgreSQL through psycopg: one short connection per query, in a READ ONLY transaction that is rolled
back, under statement, lock and idle timeouts."""

from __future__ import annotations

import math
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from tripl_core.warehouse.base import Column, QueryResult, SqlQuery
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.errors import WarehouseError, WarehouseTimeout

_IDLE_GRACE_MS = 5000


class PostgresTransport:
    def __init__(self, config: WarehouseConfig) -> None:
        self._config = config

    def _connect(self, timeout_seconds: float) -> psycopg.Connection[Any]:
        config = self._config
        timeout_ms = max(1, int(timeout_seconds * 1000))
        # Read-only transactions are a second fence behind the guard; UTC makes timestamptz agree
        # with the other warehouses; standard_conforming_strings is how the guard reads backslashes
        # in '…' literals, so the server must read them the same way.
        options = (
            f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms} "
            f"-c idle_in_transaction_session_timeout={timeout_ms + _IDLE_GRACE_MS} -c TimeZone=UTC "
            "-c default_transaction_read_only=on -c standard_conforming_strings=on"
        )
        extra = {key: value for key, value in config.params.items() if key != "options"}
        return psycopg.connect(
            host=config.host or "127.0.0.1",
            port=config.port or 5432,
            dbname=config.database or "postgres",
            user=config.username or None,
            password=config.password or None,
            connect_timeout=max(1, math.ceil(timeout_seconds)),
            options=options,
            autocommit=True,
            **extra,
        )

    def execute(self, query: SqlQuery, timeout_seconds: float) -> QueryResult:
        params = {name: param.value for name, param in query.params.items()}
        try:
            with self._connect(timeout_seconds) as connection:
                connection.read_only = True  # BEGIN READ ONLY, whatever the role's defaults
                with connection.transaction(force_rollback=True), connection.cursor() as cursor:
                    cursor.execute(query.sql, params)
                    description = cursor.description or []
                    columns = [Column(item.name, _type_name(connection, item.type_code)) for item in description]
                    rows = [tuple(row) for row in cursor.fetchall()] if description else []
        except pg_errors.QueryCanceled as error:
            raise WarehouseTimeout(_message(error)) from error
        except psycopg.Error as error:
            raise WarehouseError(_message(error)) from error
        return QueryResult(columns, rows)

    def close(self) -> None:
        """Connections are per query; nothing stays open."""


def _type_name(connection: psycopg.Connection[Any], oid: int) -> str:
    info = connection.adapters.types.get(oid)
    return info.name if info else str(oid)


def _message(error: psycopg.Error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
