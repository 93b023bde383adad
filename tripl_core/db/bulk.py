"""Writing many rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.db.base import Base


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (every column given, ids included) in the session's transaction with one Core
    executemany. The ORM's bulk INSERT builds an insert command per row first, which costs more than
    the database's own work for the million-row windows of a metrics collection; these rows never enter
    the identity map either way."""
    if rows:
        session.connection().execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]
