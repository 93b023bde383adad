"""The app as the `tripl` command serves it: `uvicorn --factory tripl_cli.app:create_configured_app`.

tripl_api never imports the pipelines; this module is where the two are wired together: scan runs go
through the Dagster webserver at TRIPL_DAGSTER_URL (what `tripl up` sets), else in this process."""

from __future__ import annotations

from fastapi import FastAPI

from tripl_api.main import create_app
from tripl_api.runs import DagsterGraphQLLauncher
from tripl_core.jobs.launch import RunLauncher
from tripl_core.settings import Settings


def configured_launcher(settings: Settings) -> RunLauncher:
    if settings.dagster_url:
        return DagsterGraphQLLauncher(settings.dagster_url)
    from tripl_pipelines.launcher import InProcessLauncher  # imports Dagster: only when it runs here

    return InProcessLauncher(settings.resolved_database_url, settings.resolved_secret_key)


def create_configured_app() -> FastAPI:
    settings = Settings()
    return create_app(settings, configured_launcher(settings))
