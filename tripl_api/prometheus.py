"""`/metrics` for Prometheus when the observability settings switch it on (404 otherwise): requests and
latencies per route template, plus job and delivery outcomes from the database."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tripl_api.errors import error_response
from tripl_core.db.engine import Database
from tripl_core.service_settings.store import SettingsStore
from tripl_core.telemetry.prometheus import Metrics


class RequestMetrics:
    """Plain ASGI (no BaseHTTPMiddleware): times each HTTP request and labels it with the route template the
    router matched (`/api/v1/projects/{slug}/events`, never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            if template != "/metrics":
                self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)


def install(app: FastAPI, db: Database, store: SettingsStore) -> None:
    metrics = Metrics(db)
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Any:
        enabled = await run_in_threadpool(lambda: store.current().observability.prometheus_enabled)
        if not enabled:
            return error_response(404, "Prometheus metrics are off: an owner can switch on "
                                       "observability.prometheus_enabled in the service settings", "not_found")
        body = await run_in_threadpool(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
