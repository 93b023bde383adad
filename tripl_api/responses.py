"""A response for large payloads that are already in their documented shape.

FastAPI validates a route's return value against `response_model` again before serialising it; for a page
of thousands of nested rows that pass costs more than the database work. Routes return
`PlainJSONResponse(data)` for such pages: serialised once by pydantic-core (uuids, `Z` timestamps), while
`response_model` still documents the shape and tests validate it."""

from __future__ import annotations

from typing import Any

import pydantic_core
from starlette.responses import Response


class PlainJSONResponse(Response):
    media_type = "application/json"

    def __init__(self, data: Any, status_code: int = 200) -> None:
        super().__init__(content=pydantic_core.to_json(data), status_code=status_code)
