"""The embedded engine: chDB over a local folder of Parquet files, run in a process of its own per folder
(chdb_pool, chdb_engine), so a data source's session sees only that folder's views and chDB's memory
stays out of the API and the run processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tripl_core.warehouse.base import Column, QueryResult, SqlQuery
from tripl_core.warehouse.errors import WarehouseError
from tripl_core.warehouse.folders import folder_problem
from tripl_core.warehouse.transports.chdb_engine import MAX_QUERY_MEMORY_BYTES, query_settings, table_sources
from tripl_core.warehouse.transports.chdb_pool import pool
from tripl_core.warehouse.transports.clickhouse_values import chdb_param_value, from_json_cell

__all__ = ["MAX_QUERY_MEMORY_BYTES", "ChdbTransport", "query_settings", "table_sources"]


class ChdbTransport:
    def __init__(self, folder: str) -> None:
        problem = folder_problem(folder)
        if problem is not None and not folder:
            raise WarehouseError(problem)
        self._path = folder

    def execute(self, query: SqlQuery, timeout_seconds: float) -> QueryResult:
        problem = folder_problem(self._path)
        if problem is not None:
            raise WarehouseError(problem)
        folder = str(Path(self._path).expanduser().resolve())
        params = {name: chdb_param_value(param) for name, param in query.params.items()}
        return _parse(pool().run(folder, query.sql, params, timeout_seconds))

    def close(self) -> None:
        """Nothing to release: the folder's engine process is the pool's (ended when idle)."""


def _parse(payload: bytes) -> QueryResult:
    if not payload.strip():
        return QueryResult([], [])
    try:
        document: dict[str, Any] = json.loads(payload)
    except ValueError as error:  # never a 500: the engine's answer is a warehouse failure like any other
        raise WarehouseError(f"the embedded engine's answer could not be read: {error}") from None
    columns = [Column(meta["name"], meta["type"]) for meta in document["meta"]]
    rows = [
        tuple(from_json_cell(cell, column.type) for cell, column in zip(row, columns, strict=True))
        for row in document["data"]
    ]
    return QueryResult(columns, rows)
