"""The app factory: `uvicorn --factory tripl_api.main:create_app`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from tripl_api import prometheus
from tripl_api.cors import SettingsCors
from tripl_api.docs import install_docs
from tripl_api.edge import RequestEdge
from tripl_api.errors import install_error_handlers
from tripl_api.routes import (
    activity,
    ai,
    alert_deliveries,
    alert_destinations,
    anomaly_settings,
    api_keys,
    audit,
    auth,
    branches,
    chart_annotations,
    codegen,
    data_sources,
    event_types,
    events,
    export,
    fields,
    jobs,
    meta_fields,
    metrics,
    metrics_replay,
    monitors,
    photos,
    projects,
    reconciliation,
    relations,
    revisions,
    scan_previews,
    scans,
    schema_drifts,
    search,
    users,
    variables,
)
from tripl_api.routes import (
    settings as settings_routes,
)
from tripl_api.state import AppState
from tripl_core import readiness
from tripl_core.ai import search_composition
from tripl_core.db.engine import Database
from tripl_core.jobs.launch import RunLauncher
from tripl_core.jobs.lifecycle import fail_unstarted
from tripl_core.security import SecretBox
from tripl_core.service_settings import logs
from tripl_core.settings import Settings

ROUTERS = [auth.router, users.router, projects.router, activity.router, audit.router, api_keys.router]
ROUTERS += [events.router, event_types.router, event_types.owners_router, fields.router, meta_fields.router,
            variables.router, relations.router, photos.router]
ROUTERS += [branches.router, revisions.router]
ROUTERS += [data_sources.router, scan_previews.router, scans.router]
ROUTERS += [metrics.router, chart_annotations.router, anomaly_settings.router, metrics_replay.router]
ROUTERS += [schema_drifts.router, reconciliation.router]
ROUTERS += [alert_destinations.router, alert_deliveries.router, monitors.router]
ROUTERS += [codegen.router, export.router, jobs.router, jobs.workspace_router]
ROUTERS += [search.router, ai.router, settings_routes.router]

TAGS = [
    {"name": "auth", "description": "Login, registration, logout, and current-user lookup."},
    {"name": "users", "description": "User administration and role management."},
    {"name": "projects", "description": "Projects (tracking plans) and their lifecycle."},
    {"name": "activity", "description": "Recent activity feed."},
    {"name": "audit", "description": "Audit log of mutating actions."},
    {"name": "api-keys", "description": "Personal API keys for programmatic access."},
    {"name": "events", "description": "Tracked events within a project's plan."},
    {"name": "event-types", "description": "Event type definitions and metadata."},
    {"name": "event-type-owners", "description": "Ownership assignments for event types."},
    {"name": "fields", "description": "Field definitions attached to event types."},
    {"name": "meta-fields", "description": "Project-wide meta/context fields."},
    {"name": "variables", "description": "Reusable variables referenced by the plan."},
    {"name": "relations", "description": "Relationships between plan entities."},
    {"name": "plan-branches", "description": "Working branches of a tracking plan."},
    {"name": "plan-revisions", "description": "Committed plan revisions and history."},
    {"name": "event-photos", "description": "Photo attachments for events."},
    {"name": "scans", "description": "Scan configs and warehouse scan/preview jobs."},
    {"name": "reconciliation", "description": "Plan-vs-warehouse reconciliation runs."},
    {"name": "data-sources", "description": "Warehouse/data-source connections and secrets."},
    {"name": "metrics", "description": "Computed metrics and metric definitions."},
    {"name": "chart-annotations", "description": "Annotations overlaid on metric charts."},
    {"name": "anomaly-settings", "description": "Per-project anomaly detection settings."},
    {"name": "alerting", "description": "Alert rules and delivery destinations."},
    {"name": "search", "description": "Hybrid lexical/semantic search over plan content."},
    {"name": "ai", "description": "AI-assisted descriptions and Q&A."},
    {"name": "settings", "description": "Instance-level application settings."},
    {"name": "codegen", "description": "Typed tracking code generated from the plan (beyond the reference)."},
    {"name": "export", "description": "The plan as JSON Schema, and tracking payloads checked against it "
                                      "(beyond the reference)."},
    {"name": "jobs", "description": "Runs of every kind: failed ones listed, retried and dismissed "
                                    "(beyond the reference)."},
]


@cache
def api_routes() -> tuple[BaseRoute, ...]:
    """Every router, included once per process. FastAPI builds an included route's request handling
    (dependants, parameter and response-model adapters) on its first request and keeps it on the included
    router, ~0.5 s of CPU for the whole API; apps made in one process (the tests make one per test) share
    that work through these routes instead of rebuilding it. They are included without an app, so
    `app.dependency_overrides` does not reach them (nothing here uses it)."""
    api = APIRouter()
    for router in ROUTERS:
        api.include_router(router)
    return tuple(api.routes)


APP_INFO: dict[str, Any] = {"title": "tripl", "version": "0.1.0", "description": "Analytics tracking plan service",
                            "openapi_tags": TAGS, "docs_url": None, "redoc_url": None}


@cache
def api_document() -> str:
    """The OpenAPI document, as JSON. Every app of a process has the same one (the same routes, titles and
    tags; an app's own extra routes are left out of the schema), so it is built once (~1.4 s of CPU) instead
    of once per app."""
    app = FastAPI(**APP_INFO)
    app.router.routes.extend(api_routes())
    return json.dumps(app.openapi())


def create_app(settings: Settings | None = None, launcher: RunLauncher | None = None) -> FastAPI:
    """`launcher` starts scan runs (tripl_cli passes the Dagster GraphQL or the in-process one); without
    it, runs fail at once saying that no Dagster is configured."""
    settings = settings or Settings()
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    box = SecretBox(settings.resolved_secret_key)
    store, engine = search_composition.compose(db, settings, box)  # the search index follows every write through db
    state = AppState(settings=settings, db=db, secrets=box, store=store, search=engine)
    if launcher is not None:
        state.launcher = launcher

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        observability = await run_in_threadpool(store.startup_observability)
        logs.configure(observability)
        yield
        await run_in_threadpool(lambda: fail_unstarted(state.db, state.jobs.shutdown()))
        await run_in_threadpool(engine.queue.close)
        state.db.dispose()

    app = FastAPI(**APP_INFO, lifespan=lifespan)
    app.openapi = lambda: json.loads(api_document())  # type: ignore[method-assign]  # a copy per caller
    install_docs(app)  # Swagger UI and ReDoc from installed assets, not a CDN
    app.state.tripl = state
    install_error_handlers(app)
    app.add_middleware(RequestEdge, max_body_bytes=settings.max_request_bytes)
    app.add_middleware(SettingsCors, store=store)  # outermost: preflights answered before the edge checks
    app.router.routes.extend(api_routes())
    prometheus.install(app, db, store)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Alive: the process answers (a liveness probe; it checks nothing else)."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Ready: the database answers at the migrations' head and the Dagster webserver (if configured)
        answers; 503 naming what is not."""
        found = readiness.check(state.db, settings.resolved_database_url, settings.dagster_url)
        return JSONResponse({"status": "ready" if found.ready else "not ready", "checks": found.checks},
                            status_code=200 if found.ready else 503)

    return app
