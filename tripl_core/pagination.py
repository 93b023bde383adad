"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    offset: int = 0
    limit: int = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def paginate(session: Session, query: Select[T], page: PageRequest) -> tuple[list[T], int]:
    """Run `query` for one page and count all its rows: two statements whatever the page size."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.offset(page.offset).limit(page.limit)))
    return rows, int(total)
