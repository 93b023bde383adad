"""`/metrics` for Prometheus when the observability settings switch it on (404 otherwise): requests and
latencies per route template, plus job and delivery outcomes from the database."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from tripl_api.errors import error_response
from tripl_core.db.engine import Database
from tripl_core.service_settings.prom import Metrics
from tripl_core.service_settings.store import SettingsStore


def install(app: FastAPI, db: Database, store: SettingsStore) -> None:
    metrics = Metrics(db)

    @app.middleware("http")
    async def record(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if template != "/metrics":
                metrics.observe(request.method, template, status, time.perf_counter() - started)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        enabled = await run_in_threadpool(lambda: store.current().observability.prometheus_enabled)
        if not enabled:
            return error_response(404, "Prometheus metrics are off: an owner can switch on "
                                       "observability.prometheus_enabled in the service settings", "not_found")
        body = await run_in_threadpool(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
