"""The app factory: `uvicorn --factory tripl_api.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from tripl_api.edge import RequestEdge
from tripl_api.errors import install_error_handlers
from tripl_api.routes import (
    activity,
    alert_deliveries,
    alert_destinations,
    annotations,
    anomaly_settings,
    api_keys,
    audit,
    auth,
    data_sources,
    drifts,
    event_types,
    events,
    fields,
    meta_fields,
    metrics,
    metrics_replay,
    monitors,
    projects,
    reconciliation,
    relations,
    scan_previews,
    scans,
    users,
    variables,
)
from tripl_api.state import AppState
from tripl_core.db.engine import Database
from tripl_core.observe import hooks as observe_hooks
from tripl_core.scans.launching import RunLauncher
from tripl_core.security import SecretBox
from tripl_core.settings import Settings
from tripl_core.sources.jobs import fail_unstarted

ROUTERS = [auth.router, users.router, projects.router, activity.router, audit.router, api_keys.router]
ROUTERS += [events.router, event_types.router, event_types.owners_router, fields.router, meta_fields.router,
            variables.router, relations.router]
ROUTERS += [data_sources.router, scan_previews.router, scans.router]
ROUTERS += [metrics.router, annotations.router, anomaly_settings.router, metrics_replay.router]
ROUTERS += [drifts.router, reconciliation.router]
ROUTERS += [alert_destinations.router, alert_deliveries.router, monitors.router]

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
    {"name": "scans", "description": "Scan configs and warehouse scan/preview jobs."},
    {"name": "reconciliation", "description": "Plan-vs-warehouse reconciliation runs."},
    {"name": "data-sources", "description": "Warehouse/data-source connections and secrets."},
    {"name": "metrics", "description": "Computed metrics and metric definitions."},
    {"name": "chart-annotations", "description": "Annotations overlaid on metric charts."},
    {"name": "anomaly-settings", "description": "Per-project anomaly detection settings."},
    {"name": "alerting", "description": "Alert rules and delivery destinations."},
]


def create_app(settings: Settings | None = None, launcher: RunLauncher | None = None) -> FastAPI:
    """`launcher` starts scan runs (tripl_cli passes the Dagster GraphQL or the in-process one); without
    it, runs fail at once saying that no Dagster is configured."""
    settings = settings or Settings()
    state = AppState(settings=settings,
                     db=Database(settings.resolved_database_url,
                                 sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms),
                     secrets=SecretBox(settings.resolved_secret_key))
    if launcher is not None:
        state.launcher = launcher

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(lambda: fail_unstarted(state.db, state.jobs.shutdown()))
        state.db.dispose()

    app = FastAPI(title="tripl", version="0.1.0", description="Analytics tracking plan service",
                  openapi_tags=TAGS, lifespan=lifespan)
    app.state.tripl = state
    observe_hooks.register()
    install_error_handlers(app)
    app.add_middleware(RequestEdge, max_body_bytes=settings.max_request_bytes)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
