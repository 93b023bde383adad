"""Domain errors. Services raise these; the API maps each kind to one HTTP status and one JSON shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"


class TooLarge(DomainError):
    """A body, file or image beyond a configured limit (413)."""

    code = "too_large"


class UnsupportedMediaType(DomainError):
    """Content of a type the operation does not accept, judged from its bytes (415)."""

    code = "unsupported_media_type"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class PermissionDenied(DomainError):
    code = "permission_denied"


class UpstreamError(DomainError):
    """A system we depend on (a warehouse) failed; the message carries its reason, secrets scrubbed."""

    code = "upstream_error"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
