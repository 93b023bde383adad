"""One JSON error shape for every failure: `{"detail": message, "code": kind, "errors": [...]}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from tripl_core import errors as domain

logger = logging.getLogger("tripl.api")

STATUS_BY_ERROR: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.InvalidInput: 422,
    domain.TooLarge: 413,
    domain.UnsupportedMediaType: 415,
    domain.NotAuthenticated: 401,
    domain.PermissionDenied: 403,
    domain.RateLimited: 429,
    domain.UpstreamError: 502,
}
CODE_BY_STATUS = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                  405: "method_not_allowed", 409: "conflict", 413: "too_large",
                  415: "unsupported_media_type", 422: "invalid_input",
                  429: "rate_limited", 502: "upstream_error"}


class FieldError(BaseModel):
    loc: list[str | int]
    message: str
    type: str


class ErrorResponse(BaseModel):
    detail: str
    code: str
    errors: list[FieldError] = []


def error_response(status: int, message: str, code: str, errors: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"detail": message, "code": code, "errors": errors or []}
    return JSONResponse(status_code=status, content=body, headers=headers)


def _status_for(exc: domain.DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[kind]
    return 400


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, domain.DomainError)
    headers = None
    if isinstance(exc, domain.RateLimited):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    elif isinstance(exc, domain.NotAuthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    return error_response(_status_for(exc), exc.message, exc.code, exc.details, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type", "")}
              for err in exc.errors()]
    summary = "; ".join(f"{_loc_label(e['loc'])}: {e['message']}" for e in errors[:5])
    if len(errors) > 5:
        summary += f"; and {len(errors) - 5} more"
    return error_response(422, f"Invalid request — {summary}", "invalid_input", errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(exc.status_code, message, CODE_BY_STATUS.get(exc.status_code, "error"),
                          headers=getattr(exc, "headers", None))


def _loc_label(loc: list[str | int]) -> str:
    # Drop the "body"/"query"/"path" prefix: users think in field names.
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts) or "request"


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log; the client gets the same error shape without internals.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error; the failure was logged", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(domain.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
