"""Health and documentation: `/healthz` says the process is alive; `/readyz` checks the database, its
migrations and the Dagster webserver, answering 503 with what is wrong; `/docs` and `/redoc` load their
assets from tripl itself, and Swagger UI renders the operations in a headless Chromium that can reach
nothing but tripl (skipped, saying why, where Chromium is not installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.e2e.support import free_port
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.db.migrate import current_heads
from tripl_core.settings import Settings


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok",
                                                          "dagster": "not configured"}}


def test_readyz_names_an_unreachable_dagster(settings: Settings) -> None:
    down = settings.model_copy(update={"dagster_url": f"http://127.0.0.1:{free_port()}"})
    with TestClient(create_app(down)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"
    assert answer.json()["checks"]["dagster"].startswith("unreachable at http://127.0.0.1:")
    assert answer.json()["checks"]["database"] == "ok"


def test_readyz_names_a_schema_behind_the_code(client: TestClient, settings: Settings, db: Database) -> None:
    [head] = current_heads(settings.resolved_database_url)
    with db.unit_of_work() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["migrations"] == (f"the database is at 0001, the code expects {head}: "
                                                         "run `tripl db upgrade`")
    finally:
        with db.unit_of_work() as session:
            session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def test_docs_pages_load_their_assets_from_tripl(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, html
        assert all(source.startswith("/") for source in sources), sources  # no CDN, no Google fonts
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 100, source


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
# Rendering reads no table (only /openapi.json and static assets): one engine is enough for the browser run.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_swagger_ui_renders_with_the_network_unplugged(served: str, tmp_path: Path) -> None:
    assert httpx.get(f"{served}/healthz", timeout=30).status_code == 200  # the default 5 s fails under load
    browser = _chromium()
    assert browser is not None
    # Every host but 127.0.0.1 fails to resolve: a page needing a CDN renders nothing.
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--user-data-dir={tmp_path}",
               "--virtual-time-budget=20000", "--dump-dom", f"{served}/docs"]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=180).stdout
    assert 'class="swagger-ui' in dom, dom[-2000:]
    assert "opblock-tag" in dom, dom[-2000:]  # the operations, grouped by tag, were rendered from /openapi.json
    assert "/api/v1/auth/login" in dom
