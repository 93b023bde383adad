"""`column IN (…)` over many values in one statement: the values travel as one JSON array parameter that
the database unnests (SQLite `json_each`, PostgreSQL `jsonb_array_elements_text`), so ten thousand values
take one query with one cached plan instead of a statement per chunk of bind parameters."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute


def among(column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[str],
          dialect: Dialect) -> ColumnElement[bool]:
    """`column IN (values)` for text values, with the values as one parameter."""
    document = bindparam(None, json.dumps(sorted(set(values))), type_=String)
    if dialect.name == "postgresql":
        unnested = func.jsonb_array_elements_text(cast(document, JSONB)).table_valued("value")
    else:
        unnested = func.json_each(document).table_valued("value")
    return column.in_(select(unnested.c.value))
