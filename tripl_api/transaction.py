"""The unit of work of one request: a session opened per request, committed when the route succeeds,
rolled back when it fails, with the request's audit entry written inside the same transaction. Routes
and services never commit; the only split of a request in two units of work is
`tripl_core.db.units.commit_so_far` (a launched run's job row, slow outside work), and this route still
commits the second unit at the end."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tripl_api import client_address as forwarded
from tripl_core.access import audit
from tripl_core.access.principal import Principal
from tripl_core.plan.models import Project

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransactionalRoute(APIRoute):
    """Routes that read-only POST (queries) can say so with `openapi_extra={"x-read-only": True}`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        route = self

        async def handler(request: Request) -> Response:
            mutating = request.method not in SAFE_METHODS and not route.read_only
            session = request.app.state.tripl.db.session(write=mutating)
            request.state.db = session
            request.state.db_writes = mutating
            try:
                response = await handle(request)
                if mutating and response.status_code < 400:
                    # Multipart bodies (photo uploads) are streamed by their route and never JSON.
                    multipart = request.headers.get("content-type", "").startswith("multipart/")
                    body = b"" if multipart else await request.body()
                    await run_in_threadpool(_write_audit, route, request, response, body)
                await run_in_threadpool(_end, session, True)
                return response
            except BaseException:
                await run_in_threadpool(_end, session, False)
                raise

        return handler

    @property
    def read_only(self) -> bool:
        return bool((self.openapi_extra or {}).get("x-read-only"))


def _end(session: Session, commit: bool) -> None:
    """Commit (or roll back) and close in one trip to the thread pool: each trip is a thread hand-off.
    A failed commit closes the session here and is then rolled back by the caller (a no-op once closed)."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def _write_audit(route: APIRoute, request: Request, response: Response, body: bytes) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    project: Project | None = getattr(request.state, "project", None)
    params = {k: v for k, v in request.path_params.items() if k != "slug"}
    target_type, target_id = _target(route, params, response)
    if target_type is None and project is not None:
        target_type, target_id = "project", str(project.id)
    details: dict[str, Any] = {}
    if params:
        details["path_params"] = params
    if request.query_params:
        details["query"] = dict(request.query_params)
    payload = _json_or_none(body)
    if payload is not None:
        details["request"] = payload
    audit.record(
        request.state.db, principal=principal, action=f"{route.tags[0] if route.tags else 'api'}.{route.name}",
        method=request.method, path=request.url.path, status_code=response.status_code,
        project_id=project.id if project else None,
        project_slug=project.slug if project else request.path_params.get("slug"),
        target_type=target_type, target_id=target_id,
        ip_address=forwarded.client_address(request, request.app.state.tripl.trusted_proxies),
        details=details,
    )


def _target(route: APIRoute, params: dict[str, Any], response: Response) -> tuple[str | None, str | None]:
    """The innermost path id names the target; a create names what it created (the response's id)."""
    if params:
        name, value = list(params.items())[-1]
        return name.removesuffix("_id"), str(value)
    created = _json_or_none(getattr(response, "body", b""))
    tag = route.tags[0] if route.tags else None
    if isinstance(tag, Enum):
        tag = str(tag.value)
    if isinstance(created, dict) and "id" in created:
        return (tag.rstrip("s") if tag else None), str(created["id"])
    return None, None


def _json_or_none(raw: bytes | memoryview) -> Any:
    if not raw:
        return None
    try:
        return json.loads(bytes(raw))
    except (ValueError, UnicodeDecodeError):
        return None
