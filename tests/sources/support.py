"""Warehouses for data-source and preview API tests: a chDB Parquet folder and a PostgreSQL database,
both holding the same small `events` table with times in the recent past, so stats can count them."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.postgres import PostgresServer
from tests.support.workspace import Actor

DS_URL = "/api/v1/data-sources"
WAREHOUSE_DB = "tripl_sources_wh"
PG_PASSWORD = "pg-Secret-7f3a"  # the test server trusts every login; the password still travels


@dataclass(frozen=True)
class Row:
    id: int
    ts: datetime
    category: str
    properties: str


def recent_rows(now: datetime | None = None) -> list[Row]:
    """24 rows: 1 to 4 hours ago, six per hour, minute 7 of each hour; JSON with `page` and `ab.variant`."""
    hour = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    rows = []
    for i in range(24):
        ts = hour - timedelta(hours=1 + i % 4) + timedelta(minutes=7)
        doc = {"page": f"/p{i % 3}", "ab": {"variant": "a" if i % 2 else "b"}}
        rows.append(Row(i, ts, ("click", "view", "buy")[i % 3], json.dumps(doc)))
    return rows


def write_parquet(folder: Path, rows: list[Row]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "id": pa.array([r.id for r in rows], pa.int64()),
        "ts": pa.array([r.ts for r in rows], pa.timestamp("us", tz="UTC")),
        "category": pa.array([r.category for r in rows], pa.string()),
        "properties": pa.array([r.properties for r in rows], pa.string()),
    })
    pq.write_table(table, folder / "events.parquet")
    (folder / "users").mkdir(exist_ok=True)  # a table without a time column: listed, not counted
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "plan": ["free", "pro"]}), folder / "users" / "a.parquet")
    return folder


def load_postgres(server: PostgresServer, rows: list[Row]) -> None:
    server.create_database(WAREHOUSE_DB)
    with psycopg.connect(server.libpq_dsn(WAREHOUSE_DB), autocommit=True) as connection:
        connection.execute("CREATE TABLE events (id bigint, ts timestamptz, category text, properties text)")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s)",
                               [(r.id, r.ts, r.category, r.properties) for r in rows])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chdb_body(folder: Path, name: str = "lake", **extra: Any) -> dict[str, Any]:
    return {"name": name, "db_type": "chdb", "path": str(folder), "timeout_seconds": 10, **extra}


def postgres_body(server: PostgresServer, name: str = "pg", **extra: Any) -> dict[str, Any]:
    return {"name": name, "db_type": "postgres", "host": server.host, "port": server.port,
            "database_name": WAREHOUSE_DB, "username": server.user, "password": PG_PASSWORD,
            "timeout_seconds": 10, **extra}


def create_source(actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    response = actor.post(DS_URL, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def wait_for_job(actor: Actor, slug: str, job_id: str, seconds: float = 30.0) -> dict[str, Any]:
    """Poll Get Scan Preview Job until the job has finished; fail the test (not hang) when it never does."""
    return poll_job(actor, f"/api/v1/projects/{slug}/scans/preview-jobs/{job_id}", seconds)


def poll_job(actor: Actor, url: str, seconds: float) -> dict[str, Any]:
    """GET `url` (any job: a preview, a scan run) until the job has finished; fail the test (not hang)
    when it never does."""
    deadline = time.monotonic() + seconds
    while True:
        response = actor.get(url)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {seconds} s"
        time.sleep(0.05)


def lake_fixture(tmp_path_factory: Any) -> Path:
    return write_parquet(tmp_path_factory.mktemp("lake"), recent_rows())


def warehouse_pg_fixture(pg_server: PostgresServer) -> PostgresServer:
    load_postgres(pg_server, recent_rows())
    return pg_server
