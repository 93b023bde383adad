"""Input never makes a 500: NUL characters, huge offsets, unbounded time ranges, oversized bodies, deleting a
project with keys bound to it; and a 500 that does happen keeps the client's connection open."""

from __future__ import annotations

import http.client
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.access.test_forwarded_for import served
from tests.scans.support import create_scan
from tests.sources.support import chdb_body, create_source
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.metrics.bounds import MAX_BUCKETS_PER_SERIES
from tripl_core.settings import Settings

HUGE = 2**63


def test_nul_characters_are_refused_at_the_edge(ws: Workspace) -> None:
    login = ws.anonymous.post("/api/v1/auth/login", json={"email": "a\u0000@example.com", "password": "x" * 9})
    assert login.status_code == 422, login.text
    assert login.json()["detail"].startswith("email: NUL")
    named = ws.owner.post("/api/v1/projects", json={"name": "Sh\u0000op", "slug": "shop"})
    assert named.status_code == 422
    assert named.json()["errors"][0]["loc"] == ["body", "name"]
    assert ws.owner.get("/api/v1/projects").json() in ([], {"items": [], "total": 0})
    assert ws.owner.get("/api/v1/projects/sh%00op").status_code == 422
    assert ws.owner.get("/api/v1/audit?action=a%00b").status_code == 422
    # A JSON string holding an escaped backslash followed by "u0000" is no NUL.
    ok = ws.owner.post("/api/v1/projects", json={"name": "back\\u0000slash", "slug": "shop"})
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("path", [
    "/api/v1/users", "/api/v1/audit", "/api/v1/projects/shop/events", "/api/v1/projects/shop/alert-deliveries",
    "/api/v1/projects/shop/alert-inbox",
])
def test_offsets_beyond_the_bound_are_a_422(ws: Workspace, path: str) -> None:
    ws.project()
    response = ws.owner.get(path, params={"offset": HUGE})
    assert response.status_code == 422, response.text
    assert "offset" in response.text


def test_scan_jobs_offset_is_bounded(ws: Workspace) -> None:
    ws.project()
    response = ws.owner.get(f"/api/v1/projects/shop/scans/{'0' * 8}-0000-0000-0000-{'0' * 12}/jobs",
                            params={"offset": HUGE})
    assert response.status_code == 422, response.text


def test_a_wide_time_range_is_refused_naming_the_cap(ws: Workspace, lake: Path) -> None:
    ws.project()
    create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)), interval="15m")
    body = {"event_ids": [str(uuid.uuid4())], "time_from": "1970-01-01T00:00:00Z",
            "time_to": "2100-01-01T00:00:00Z"}
    refused = ws.viewer.post("/api/v1/projects/shop/events/window-metrics", json=body)
    assert refused.status_code == 422, refused.text
    assert f"at most {MAX_BUCKETS_PER_SERIES} buckets per series" in refused.json()["detail"]
    many = {**body, "event_ids": [str(uuid.uuid4()) for _ in range(50)], "time_from": "2020-01-01T00:00:00Z",
            "time_to": "2020-06-01T00:00:00Z"}
    too_many = ws.viewer.post("/api/v1/projects/shop/events/window-metrics", json=many)
    assert too_many.status_code == 422
    assert "max_points_per_response" in too_many.json()["detail"]
    series = ws.viewer.get("/api/v1/projects/shop/metrics/total",
                           params={"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"})
    assert series.status_code == 422, series.text
    now = datetime.now(UTC)
    fine = {**body, "time_from": (now - timedelta(days=2)).isoformat(), "time_to": now.isoformat()}
    assert ws.viewer.post("/api/v1/projects/shop/events/window-metrics", json=fine).status_code == 200


def test_an_oversized_body_is_a_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_request_bytes": 4096})
    with TestClient(create_app(small)) as client:
        response = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 10_000})
    assert response.status_code == 413
    assert "max_request_bytes" in response.json()["detail"]


def test_deleting_a_project_revokes_the_keys_bound_to_it(ws: Workspace) -> None:
    ws.project()
    bound = ws.key(ws.owner, "write", project_slug="shop")
    assert bound.get("/api/v1/projects/shop").status_code == 200
    deleted = ws.owner.delete("/api/v1/projects/shop")
    assert deleted.status_code == 204, deleted.text
    assert ws.owner.get("/api/v1/projects/shop").status_code == 404
    assert bound.get("/api/v1/projects").status_code == 401


def test_deleting_its_own_project_with_a_bound_key(ws: Workspace) -> None:
    ws.project()
    bound = ws.key(ws.owner, "write", project_slug="shop")
    deleted = bound.delete("/api/v1/projects/shop")
    assert deleted.status_code == 204, deleted.text
    assert ws.owner.get("/api/v1/projects/shop").status_code == 404
    assert bound.get("/api/v1/projects").status_code == 401
    [entry] = [e for e in ws.owner.get("/api/v1/audit").json()["items"] if e["method"] == "DELETE"]
    assert entry["api_key_id"] is None


def test_a_server_error_keeps_the_connection_alive(settings: Settings) -> None:
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with served(app) as base:
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/boom")
        failed = connection.getresponse()
        assert failed.status == 500
        assert b"internal_error" in failed.read()
        assert (failed.getheader("connection") or "").lower() != "close"
        socket_before = connection.sock
        connection.request("GET", "/healthz")
        healthy = connection.getresponse()
        assert healthy.status == 200
        assert healthy.read()
        assert connection.sock is socket_before  # the same connection served both
        connection.close()
