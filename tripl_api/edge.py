"""What every request meets before a route: a size limit on its body (413) and a refusal of NUL characters
(422; PostgreSQL cannot store them in text, and no field means one), and after it: an unexpected error
answered as a normal 500 response, so the client's keep-alive connection survives (Starlette's own
server-error handler re-raises, and uvicorn then drops the connection)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tripl_api.errors import error_response

logger = logging.getLogger("tripl.api")
_NUL_ESCAPE = b"\\u0000"


class RequestEdge:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            refusal, replay = await self._admit(scope, receive)
            if refusal is not None:
                await refusal(scope, receive, tracking_send)
                return
            await self.app(scope, replay, tracking_send)
        except Exception as exc:
            logger.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # the response is half sent: nothing sane can follow on this connection
                raise
            response = error_response(500, "Internal server error; the failure was logged", "internal_error")
            await response(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Any, Receive]:
        """The body read whole (bounded), checked, and handed on through a replaying `receive`."""
        where = _nul_in_target(scope)
        if where:
            return _nul_refused(where), receive
        declared = _content_length(scope)
        if _streamed(scope):
            # Uploads are streamed by their route, which checks size and content as the bytes arrive; they
            # are not held here. A stream past the largest upload anyone can configure is cut off.
            if declared is not None and declared > STREAMED_MAX_BYTES:
                return _too_large(STREAMED_MAX_BYTES), receive
            return None, _bounded(receive, STREAMED_MAX_BYTES)
        if declared is not None and declared > self.max_body_bytes:
            return _too_large(self.max_body_bytes), receive
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, _replay([message])
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return _too_large(self.max_body_bytes), receive
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        where = _nul_in_body(body)
        if where:
            return _nul_refused(where), receive
        return None, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


STREAMED_MAX_BYTES = 256 * 1024 * 1024  # above the largest photo limit the storage settings accept
_STREAMED_TYPES = (b"multipart/form-data",)


def _streamed(scope: Scope) -> bool:
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
    return content_type.startswith(_STREAMED_TYPES)


def _bounded(receive: Receive, limit: int) -> Receive:
    """`receive`, ended as a client disconnect once more than `limit` bytes have come."""
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return bounded


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()  # after the body: a disconnect, when the client goes away
        return {"type": "http.disconnect"}

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _nul_in_target(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path"
    if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
        return "query"
    return None


def _nul_in_body(body: bytes) -> str | None:
    if b"\x00" in body:
        return "body"
    if _NUL_ESCAPE not in body.lower():
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return "body"
    return _nul_path(document, ["body"])


def _nul_path(value: Any, path: list[str]) -> str | None:
    if isinstance(value, str):
        return ".".join(path) if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, [*path, "(key)"]) or _nul_path(item, [*path, str(key)])
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, [*path, str(index)])
            if found:
                return found
    return None


def _too_large(limit: int) -> Any:
    return error_response(413, f"Request body larger than {limit} bytes (max_request_bytes)", "too_large")


def _nul_refused(where: str) -> Any:
    label = where.removeprefix("body.") if where.startswith("body.") else where
    message = f"{label}: NUL characters (\\u0000) are not accepted"
    return error_response(422, message, "invalid_input",
                          [{"loc": where.split("."), "message": "NUL characters are not accepted", "type": "nul"}])
