"""The app as the `tripl` command serves it: `uvicorn --factory tripl_cli.app:create_configured_app`.

tripl_api never imports the pipelines; this module is where the two are wired together, with the launcher
tripl_cli/launchers.py chooses."""

from __future__ import annotations

from fastapi import FastAPI

from tripl_api.main import create_app
from tripl_cli.launchers import configured_launcher
from tripl_core.settings import Settings


def create_configured_app() -> FastAPI:
    settings = Settings()
    return create_app(settings, configured_launcher(settings))
