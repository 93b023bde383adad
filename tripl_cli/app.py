"""The app as the `tripl` command serves it: `uvicorn --factory tripl_cli.app:create_configured_app`.

tripl_api never imports the pipelines; this module is where the two are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from tripl_api.main import create_app
from tripl_core.settings import Settings


def create_configured_app() -> FastAPI:
    return create_app(Settings())
