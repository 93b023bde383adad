"""Writing many rows at once."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType, TypeEngine

from tripl_core.db.base import Base, UTCDateTime


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (every column given, ids included) in the session's transaction with one Core
    executemany. The ORM's bulk INSERT builds an insert command per row first, which costs more than
    the database's own work for large batches; these rows never enter the identity map either way."""
    if rows:
        session.connection().execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]


def load_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *,
              stored: bool = False) -> None:
    """Load plain tuples (values of `columns`, in order) into `table` in the session's transaction: PostgreSQL
    `COPY … FROM STDIN`, otherwise one DBAPI executemany. Values go through each column type's bind
    processing first (UTC datetimes stored naive, UUIDs as the dialect keeps them), so they compare equal to
    what the ORM writes; no statement is compiled per row. `stored=True`: the values are already in that
    form (see StoredForm), and none is processed again."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = [None if stored else _column_type(table.c[name])._cached_bind_processor(dialect)
                  for name in columns]
    prepared = rows if not any(processors) else [
        tuple(value if process is None or value is None else process(value)
              for process, value in zip(processors, row, strict=True)) for row in rows]
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in prepared:
                copy.write_row(row)
        return
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({marks})", list(prepared))


def _column_type(column: Column[Any]) -> TypeEngine[Any]:
    """A foreign key column takes its type from the referenced column once that table is known."""
    if isinstance(column.type, NullType) and column.foreign_keys:
        return next(iter(column.foreign_keys)).column.type
    return column.type


ID_BLOCK = 1024


def uuid4_block(count: int) -> list[str]:
    """`count` random UUIDs (version 4, RFC 4122 variant, like uuid.uuid4()) as 32 hex digits each."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes((byte & 0x0F) | 0x40 for byte in raw[6::16])
    raw[8::16] = bytes((byte & 0x3F) | 0x80 for byte in raw[8::16])
    digits = raw.hex()
    return [digits[start:start + 32] for start in range(0, 32 * count, 32)]


class StoredForm:
    """Values converted to what a dialect stores, for `load_rows(..., stored=True)`: the caller converts
    each distinct value once (a fan-out's rows share one creation time and a few buckets) instead of every
    cell going through bind processing. UUIDs: native on PostgreSQL, 32 hex digits where SQLAlchemy's `Uuid`
    keeps them as text; JSON: dumped once with the dialect's serializer; UTC datetimes: the column type's own
    bind processing, once per distinct moment."""

    def __init__(self, dialect: Dialect) -> None:
        self.native_uuid = bool(dialect.supports_native_uuid)
        serializer: Callable[[Any], str] | None = getattr(dialect, "_json_serializer", None)
        self.json: Callable[[Any], str] = serializer or json.dumps
        moment = UTCDateTime()
        process = moment._cached_bind_processor(dialect)
        self._moment: Callable[[datetime], Any] = process or (lambda value: moment.process_bind_param(value, dialect))
        self._moments: dict[datetime, Any] = {}
        self._ids: list[str] = []

    @classmethod
    def of(cls, session: Session) -> StoredForm:
        return cls(session.connection().dialect)

    def uuid(self, value: uuid.UUID | None) -> Any:
        if value is None or self.native_uuid:
            return value
        return value.hex

    def new_id(self) -> str:
        """A fresh random (version 4) UUID as 32 hex digits, what SQLite keeps and PostgreSQL reads as a
        uuid: drawn from the OS's randomness 1,024 at a time instead of building a UUID object each."""
        if not self._ids:
            self._ids = uuid4_block(ID_BLOCK)
        return self._ids.pop()

    def moment(self, value: datetime | None) -> Any:
        if value is None:
            return None
        found = self._moments.get(value)
        if found is None:
            found = self._moments[value] = self._moment(value)
        return found
