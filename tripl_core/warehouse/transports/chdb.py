"""The embedded engine: chDB over a local folder of Parquet files.

One in-memory chDB session serves the whole process (chDB keeps one engine per process, so every
Session shares it). Each folder gets its own database of VIEWs over `file(…, Parquet)`: nothing is
copied and no on-disk chDB database is opened, so the API and any number of run processes read the
same folder at once without lock files. Views are refreshed when the folder's listing changes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any, ClassVar

from chdb import session as chdb_session

from tripl_core.warehouse.base import Column, QueryResult, SqlQuery
from tripl_core.warehouse.errors import WarehouseError, WarehouseTimeout
from tripl_core.warehouse.folders import folder_problem
from tripl_core.warehouse.transports.clickhouse_values import chdb_param_value, from_json_cell

_TIMEOUT_MARKERS = ("TIMEOUT_EXCEEDED", "Code: 159.")
# Bounds on one query in the embedded engine, which shares the API's memory.
MAX_QUERY_MEMORY_BYTES = 2 * 1024**3
# Session settings: times print in UTC and numbers stay JSON numbers, so cells convert without guessing.
_SESSION_SETTINGS = (
    "session_timezone = 'UTC', output_format_json_quote_64bit_integers = 0, "
    "output_format_json_quote_decimals = 0, output_format_json_quote_denormals = 1"
)


def table_sources(folder: Path) -> dict[str, str]:
    """Table name → file glob: one table per `.parquet` file and per sub-folder holding Parquet files."""
    tables: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix == ".parquet":
            tables[entry.stem] = str(entry.resolve())
        elif entry.is_dir() and any(entry.glob("*.parquet")):
            tables[entry.name] = str(entry.resolve() / "*.parquet")
    return tables


def _fingerprint(folder: Path) -> tuple[tuple[str, int], ...]:
    return tuple(
        (str(path), path.stat().st_mtime_ns) for path in sorted(folder.rglob("*.parquet")) if path.is_file()
    )


def _string_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Engine:
    """The process-wide session; one lock because `USE` and `SET` are session state."""

    _instance: ClassVar[_Engine | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.session = chdb_session.Session()
        self.session.query(f"SET {_SESSION_SETTINGS}")
        self._folders: dict[Path, tuple[str, tuple[tuple[str, int], ...]]] = {}

    @classmethod
    def get(cls) -> _Engine:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = _Engine()
            return cls._instance

    def database_for(self, folder: Path) -> str:
        """The database holding `folder`'s views, (re)creating views if files were added or removed."""
        fingerprint = _fingerprint(folder)
        known = self._folders.get(folder)
        if known and known[1] == fingerprint:
            return known[0]
        database = "tripl_" + hashlib.sha1(str(folder).encode()).hexdigest()[:16]
        self.session.query(f"DROP DATABASE IF EXISTS `{database}`")
        self.session.query(f"CREATE DATABASE `{database}` ENGINE = Memory")
        for table, source in table_sources(folder).items():
            quoted = "`" + table.replace("\\", "\\\\").replace("`", "\\`") + "`"
            self.session.query(
                f"CREATE VIEW `{database}`.{quoted} AS SELECT * FROM file({_string_literal(source)}, Parquet)"
            )
        self._folders[folder] = (database, fingerprint)
        return database


def query_settings(timeout_seconds: float) -> str:
    """The SETTINGS clause tripl appends to every query it runs on chDB: read-only, DDL off, bounded in
    time and memory. A base query cannot carry its own SETTINGS (the guard refuses them
    anywhere in the tree), so these are the settings the whole query runs under."""
    return (
        f" SETTINGS readonly = 2, allow_ddl = 0, allow_introspection_functions = 0, "
        f"max_execution_time = {float(timeout_seconds)}, timeout_overflow_mode = 'throw', "
        f"max_memory_usage = {MAX_QUERY_MEMORY_BYTES}"
    )


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
        folder = Path(self._path).expanduser().resolve()
        engine = _Engine.get()
        params = {name: chdb_param_value(param) for name, param in query.params.items()}
        try:
            with engine.lock:
                engine.session.query(f"USE `{engine.database_for(folder)}`")
                sql = query.sql.rstrip().rstrip(";") + query_settings(timeout_seconds)
                raw = engine.session.query(sql, "JSONCompact", params=params or None)
        except Exception as error:  # chDB raises RuntimeError subclasses carrying the server message
            raise _translate(error) from error
        return _parse(raw.bytes())

    def close(self) -> None:
        """Nothing to release: the session lives as long as the process."""


def _parse(payload: bytes) -> QueryResult:
    if not payload.strip():
        return QueryResult([], [])
    document: dict[str, Any] = json.loads(payload)
    columns = [Column(meta["name"], meta["type"]) for meta in document["meta"]]
    rows = [
        tuple(from_json_cell(cell, column.type) for cell, column in zip(row, columns, strict=True))
        for row in document["data"]
    ]
    return QueryResult(columns, rows)


def _translate(error: Exception) -> WarehouseError:
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if any(marker in message for marker in _TIMEOUT_MARKERS):
        return WarehouseTimeout(message)
    return WarehouseError(message)
