"""ClickHouse over HTTP through clickhouse-connect, with server-side `{name:Type}` parameters."""

from __future__ import annotations

from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from tripl_core.warehouse.base import Column, QueryResult, SqlQuery
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.errors import WarehouseError, WarehouseTimeout
from tripl_core.warehouse.transports.clickhouse_values import param_value

_TIMEOUT_MARKERS = ("TIMEOUT_EXCEEDED", "Code: 159.", "timed out", "Read timed out")
# Extra seconds the HTTP read waits past max_execution_time, so the server's own timeout message wins.
_HTTP_GRACE_SECONDS = 5.0



class ClickHouseHttpTransport:
    def __init__(self, config: WarehouseConfig) -> None:
        self._config = config
        self._client: Client | None = None

    def _get_client(self, timeout_seconds: float) -> Client:
        if self._client is None:
            config = self._config
            self._client = clickhouse_connect.get_client(
                host=config.host or "localhost",
                port=config.port or 8123,
                username=config.username or "default",
                password=config.password,
                database=config.database or "__default__",
                connect_timeout=max(1.0, timeout_seconds),
                send_receive_timeout=timeout_seconds + _HTTP_GRACE_SECONDS,
                **dict(config.params),
            )
        return self._client

    def execute(self, query: SqlQuery, timeout_seconds: float) -> QueryResult:
        params: dict[str, Any] = {name: param_value(param) for name, param in query.params.items()}
        try:
            client = self._get_client(timeout_seconds)
            result = client.query(query.sql, parameters=params or None, settings=_settings(client, timeout_seconds))
        except (ClickHouseError, OSError) as error:
            message = _message(error)
            if any(marker in message for marker in _TIMEOUT_MARKERS):
                raise WarehouseTimeout(message) from error
            raise WarehouseError(message) from error
        columns = [
            Column(name, column_type.name)
            for name, column_type in zip(result.column_names, result.column_types, strict=True)
        ]
        return QueryResult(columns, [tuple(row) for row in result.result_rows])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _settings(client: Client, timeout_seconds: float) -> dict[str, Any]:
    """Per-query settings, set by tripl on the server: read-only, DDL off, bounded in time (a row cap
    would also apply to the base query's subquery, so row and memory limits belong to the account).
    A base query cannot override them (the guard refuses SETTINGS anywhere in the tree).
    `readonly = 2` is sent only to an account that is not read-only already: a read-only account
    (the documented setup) may not change `readonly` at all, and already forbids writes."""
    settings: dict[str, Any] = {
        "max_execution_time": max(1, round(timeout_seconds)),
        "timeout_overflow_mode": "throw",
        "session_timezone": "UTC",
    }
    current = client.server_settings.get("readonly")
    if current is None or str(current.value) == "0":
        settings["readonly"] = 2
        settings["allow_ddl"] = 0
    return settings


def _message(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
