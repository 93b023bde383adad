"""Domain errors raised by the warehouse layer.

They are plain exceptions so the core stays free of HTTP concerns; the API maps them to responses.
"""

from __future__ import annotations


class UnsafeQuery(ValueError):
    """A `base_query` that is not a single read-only SELECT; `.message` says what was found."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WarehouseError(Exception):
    """The warehouse could not be reached or refused a query; `.message` is the warehouse's reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WarehouseTimeout(WarehouseError):
    """A query ran longer than the data source's timeout and was cancelled."""
