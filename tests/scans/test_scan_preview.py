"""Scan preview jobs through HTTP: 202 + job, polled to the end, on chDB and PostgreSQL; failures,
timeouts, refusals."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.sources.support import (
    PG_PASSWORD,
    chdb_body,
    closed_port,
    create_source,
    postgres_body,
    wait_for_job,
)
from tests.support.postgres import PostgresServer
from tests.support.workspace import Workspace
from tripl_core.jobs.models import Job

pytestmark = pytest.mark.engine_independent

PREVIEW = "/api/v1/projects/shop/scans/preview"


def _preview(ws: Workspace, source: dict[str, Any], base_query: str, **extra: Any) -> dict[str, Any]:
    response = ws.owner.post(PREVIEW, json={"data_source_id": source["id"], "base_query": base_query, **extra})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] in ("pending", "running", "succeeded", "failed")
    return job


def _job_count(ws: Workspace) -> int:
    with ws.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


@pytest.fixture
def lake_source(ws: Workspace, lake: Path) -> dict[str, Any]:
    ws.project("shop")
    return create_source(ws.owner, chdb_body(lake))


def test_preview_on_chdb_returns_typed_columns_and_rows(ws: Workspace, lake_source: dict[str, Any]) -> None:
    job = _preview(ws, lake_source, "SELECT id, ts, category FROM events ORDER BY id", limit=5)
    done = wait_for_job(ws.owner, "shop", job["id"])
    assert done["status"] == "succeeded", done
    assert done["started_at"]
    assert done["completed_at"]
    assert done["error_message"] is None
    summary = done["result_summary"]
    assert [c["name"] for c in summary["columns"]] == ["id", "ts", "category"]
    assert "Int64" in summary["columns"][0]["type"]
    assert "DateTime" in summary["columns"][1]["type"]
    assert [row[0] for row in summary["rows"]] == [0, 1, 2, 3, 4]
    assert summary["row_count"] == 5
    assert summary["rows"][0][1].endswith("Z")
    assert summary["rows"][0][2] == "click"
    assert "json_paths" not in summary


def test_preview_lists_json_paths_when_asked(ws: Workspace, lake_source: dict[str, Any]) -> None:
    job = _preview(ws, lake_source, "SELECT * FROM events", include_json_paths=True,
                   json_value_paths=["properties.page"])
    summary = wait_for_job(ws.owner, "shop", job["id"])["result_summary"]
    paths = {p["path"]: (p["count"], p["literal"]) for p in summary["json_paths"]}
    assert paths == {"properties.page": (24, True), "properties.ab.variant": (24, False)}
    assert summary["row_count"] == 10  # the reference's default limit


def test_preview_on_postgres_with_a_lookback_window(ws: Workspace, warehouse_pg: PostgresServer) -> None:
    ws.project("shop")
    source = create_source(ws.owner, postgres_body(warehouse_pg))
    # Rows are 1-4 hours old (minute 7): a 2-hour lookback keeps the 1-hour-old ones at least.
    job = _preview(ws, source, "SELECT id, ts FROM events", limit=50, time_column="ts", scan_lookback_hours=2)
    done = wait_for_job(ws.owner, "shop", job["id"])
    assert done["status"] == "succeeded", done
    assert 6 <= done["result_summary"]["row_count"] <= 12
    assert next(c["type"] for c in done["result_summary"]["columns"]) in ("int8", "bigint")
    everything = wait_for_job(ws.owner, "shop", _preview(ws, source, "SELECT id FROM events", limit=50)["id"])
    assert everything["result_summary"]["row_count"] == 24


def test_rows_never_exceed_the_limit(ws: Workspace, lake_source: dict[str, Any]) -> None:
    pairs = "SELECT a.id FROM events AS a CROSS JOIN events AS b"  # 24 × 24 rows
    done = wait_for_job(ws.owner, "shop", _preview(ws, lake_source, pairs, limit=50)["id"])
    assert done["result_summary"]["row_count"] == 50
    too_many = ws.owner.post(PREVIEW, json={"data_source_id": lake_source["id"], "base_query": "SELECT 1",
                                            "limit": 51})
    assert too_many.status_code == 422


def test_a_warehouse_error_fails_the_job_with_its_message(ws: Workspace, lake_source: dict[str, Any]) -> None:
    done = wait_for_job(ws.owner, "shop", _preview(ws, lake_source, "SELECT * FROM no_such_table")["id"])
    assert done["status"] == "failed"
    assert done["completed_at"]
    assert "no_such_table" in done["error_message"]
    assert done["result_summary"] == {}


def test_an_unreachable_warehouse_fails_the_job_without_the_password(ws: Workspace,
                                                                      warehouse_pg: PostgresServer) -> None:
    ws.project("shop")
    source = create_source(ws.owner, postgres_body(warehouse_pg, port=closed_port(), timeout_seconds=3))
    done = wait_for_job(ws.owner, "shop", _preview(ws, source, "SELECT 1 AS one")["id"])
    assert done["status"] == "failed"
    assert "refused" in done["error_message"].lower()
    assert PG_PASSWORD not in str(done)


def test_a_slow_query_ends_failed_by_the_timeout(ws: Workspace, lake: Path) -> None:
    ws.project("shop")
    source = create_source(ws.owner, chdb_body(lake, timeout_seconds=1))
    # Real work over the source's own rows: the guard refuses sleep() and table functions.
    job = _preview(ws, source, "SELECT count() AS n FROM events AS a CROSS JOIN events AS b "
                               "CROSS JOIN events AS c CROSS JOIN events AS d CROSS JOIN events AS e "
                               "CROSS JOIN events AS f CROSS JOIN events AS g "
                               "WHERE cityHash64(a.id, b.id, c.id, d.id, e.id, f.id, g.id) % 7 = 0")
    # The request answers with the job before the warehouse does: it is not finished yet.
    assert job["status"] in {"pending", "running"}, job
    assert job["completed_at"] is None
    done = wait_for_job(ws.owner, "shop", job["id"], seconds=20)
    assert done["status"] == "failed"
    assert "TIMEOUT_EXCEEDED" in done["error_message"]


@pytest.mark.parametrize(("query", "found"), [
    ("DROP TABLE events", "Drop"),
    ("SELECT 1; SELECT 2", "statement"),
    ("SELECT * FROM url('http://example.com/x.csv', CSV)", "url"),
    # Issue 12: each of these reached files, URLs or other data sources through the old guard.
    ("SELECT * FROM file\u200b('secret_key', 'RawBLOB')", "U+200B"),
    ("SELECT * FROM url\u200b('http://127.0.0.1/', 'RawBLOB')", "U+200B"),
    ("SELECT * FROM executable\u200b('id', 'RawBLOB', 'x String')", "U+200B"),
    ("SELECT * FROM Python('import os')", "Python"),
    ("SELECT * FROM merge(REGEXP('.*'))", "merge"),
    ("SELECT * FROM system.processes", "system.processes"),
    ("SELECT 1 FROM events UNION ALL SELECT 2 FROM events SETTINGS readonly = 0", "SETTINGS"),
    ("INSERT INTO events SELECT * FROM events", "Insert"),
])
def test_an_unsafe_query_is_refused_and_nothing_is_created(ws: Workspace, lake_source: dict[str, Any],
                                                           query: str, found: str) -> None:
    before = _job_count(ws)
    response = ws.owner.post(PREVIEW, json={"data_source_id": lake_source["id"], "base_query": query})
    assert response.status_code == 422, response.text
    assert "base_query refused" in response.json()["detail"]
    assert found.lower() in response.json()["detail"].lower()
    assert _job_count(ws) == before


def test_a_table_outside_the_data_source_fails_the_job_naming_it(ws: Workspace,
                                                                 lake_source: dict[str, Any]) -> None:
    elsewhere = "tripl_0123456789abcdef.events"  # another folder's database in the shared chDB engine
    done = wait_for_job(ws.owner, "shop", _preview(ws, lake_source, f"SELECT * FROM {elsewhere}")["id"])
    assert done["status"] == "failed"
    assert f"table `{elsewhere}` is not a table of this data source" in done["error_message"]


@pytest.mark.parametrize("query", [
    "SELECT U&\"pg_read_file\"('/etc/passwd')",
    "SELECT U&\"lo_import\"('/etc/passwd')",
    "SELECT U&\"set_config\"('search_path', 'x', false)",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_notify('c', 'x')",
    "SELECT pg_replication_origin_create('o')",
    "SELECT pg_stat_reset()",
])
def test_postgres_side_effects_and_escapes_are_refused(ws: Workspace, warehouse_pg: PostgresServer,
                                                       query: str) -> None:
    ws.project("shop")
    source = create_source(ws.owner, postgres_body(warehouse_pg))
    response = ws.owner.post(PREVIEW, json={"data_source_id": source["id"], "base_query": query})
    assert response.status_code == 422, response.text
    assert "base_query refused" in response.json()["detail"]


def test_postgres_guard_uses_the_postgres_dialect(ws: Workspace, warehouse_pg: PostgresServer) -> None:
    ws.project("shop")
    source = create_source(ws.owner, postgres_body(warehouse_pg))
    response = ws.owner.post(PREVIEW, json={"data_source_id": source["id"],
                                            "base_query": "SELECT pg_read_file('/etc/passwd')"})
    assert response.status_code == 422
    assert "pg_read_file" in response.json()["detail"]


def test_bad_requests(ws: Workspace, lake_source: dict[str, Any]) -> None:
    missing = ws.owner.post(PREVIEW, json={"data_source_id": str(uuid.uuid4()), "base_query": "SELECT 1"})
    assert missing.status_code == 404
    blank = ws.owner.post(PREVIEW, json={"data_source_id": lake_source["id"], "base_query": "  "})
    assert blank.status_code == 422
    lookback = ws.owner.post(PREVIEW, json={"data_source_id": lake_source["id"], "base_query": "SELECT 1",
                                            "scan_lookback_hours": 3})
    assert lookback.status_code == 422
    assert "time_column" in lookback.json()["detail"]
    assert ws.owner.get(f"/api/v1/projects/shop/scans/preview-jobs/{uuid.uuid4()}").status_code == 404


def test_a_job_is_only_visible_in_its_project(ws: Workspace, lake_source: dict[str, Any]) -> None:
    ws.project("other")
    job = _preview(ws, lake_source, "SELECT 1 AS one")
    wait_for_job(ws.owner, "shop", job["id"])
    assert ws.owner.get(f"/api/v1/projects/other/scans/preview-jobs/{job['id']}").status_code == 404


def test_deleting_the_data_source_keeps_the_finished_job(ws: Workspace, lake_source: dict[str, Any]) -> None:
    job = _preview(ws, lake_source, "SELECT 1 AS one")
    assert wait_for_job(ws.owner, "shop", job["id"])["status"] == "succeeded"
    assert ws.owner.delete(f"/api/v1/data-sources/{lake_source['id']}").status_code == 204
    assert wait_for_job(ws.owner, "shop", job["id"])["result_summary"]["rows"] == [[1]]
