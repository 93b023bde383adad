"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tripl_core.errors import InvalidInput

T = TypeVar("T")


# Bounds every list route declares (tripl_api.deps.Offset): a database answers an offset past 2^63 with an
# error, and no client pages that far.
MAX_OFFSET = 10_000_000
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class PageRequest:
    offset: int = 0
    limit: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}", details=[{"field": "offset"}])
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", details=[{"field": "limit"}])


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def paginate(session: Session, query: Select[T], page: PageRequest) -> tuple[list[T], int]:
    """Run `query` for one page and count all its rows: two statements whatever the page size."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.offset(page.offset).limit(page.limit)))
    return rows, int(total)
