"""Writing many rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType, TypeEngine

from tripl_core.db.base import Base


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (every column given, ids included) in the session's transaction with one Core
    executemany. The ORM's bulk INSERT builds an insert command per row first, which costs more than
    the database's own work for large batches; these rows never enter the identity map either way."""
    if rows:
        session.connection().execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]


def load_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Load plain tuples (values of `columns`, in order) into `table` in the session's transaction: PostgreSQL
    `COPY … FROM STDIN`, otherwise one DBAPI executemany. Values go through each column type's bind
    processing first (UTC datetimes stored naive, UUIDs as the dialect keeps them), so they compare equal to
    what the ORM writes; no statement is compiled per row."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = [_column_type(table.c[name])._cached_bind_processor(dialect) for name in columns]
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
