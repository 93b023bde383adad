"""Opaque cursors for newest-first lists: the last row's (created_at, id), base64url-encoded. A cursor
survives inserts at the head of the list, which an offset does not."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from tripl_core.errors import InvalidInput

T = TypeVar("T")


def encode(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        return datetime.fromisoformat(moment), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API handed out; pass next_cursor from a previous page",
                           details=[{"field": "cursor"}]) from None


def newest_first(session: Session, query: Select[Any], created_at: InstrumentedAttribute[datetime],
                 row_id: InstrumentedAttribute[uuid.UUID], cursor: str | None,
                 limit: int) -> tuple[list[Any], str | None]:
    """One page of `query` ordered newest first, and the cursor of the next page (None at the end)."""
    if cursor is not None:
        moment, last_id = decode(cursor)
        query = query.where(or_(created_at < moment, and_(created_at == moment, row_id < last_id)))
    rows = list(session.scalars(query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode(getattr(last, created_at.key), getattr(last, row_id.key))
