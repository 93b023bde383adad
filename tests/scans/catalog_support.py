"""A small events warehouse (chDB Parquet folder or PostgreSQL) and app-database rows for catalog scans.

Rows of the last two days: `page` events (view_home, view_cart, legacy) and `purchase` events (buy),
a low `platform` (ios/android/web), a high `user_id`, a `country` that is NULL on a third of the rows,
and JSON `properties` with `screen`, `load_ms` (some above 1000), `ab.variant`, `price`, `currency`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import TEST_SECRET
from tests.support.postgres import PostgresServer
from tripl_core.db.engine import Database
from tripl_core.outbound import OutboundPolicy
from tripl_core.plan.models import Branch, BranchKind, Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.schemas import DataSourceCreate

WAREHOUSE_DB = "tripl_catalog_wh"
BOX = SecretBox(TEST_SECRET)
NAMES = {"page": ("view_home", "view_cart", "legacy"), "purchase": ("buy",)}


@dataclass(frozen=True)
class Row:
    ts: datetime
    event_type: str
    event_name: str
    platform: str
    user_id: str
    country: str | None
    properties: str


def rows(now: datetime | None = None) -> list[Row]:
    """240 rows over the last two days, deterministic apart from their distance to `now`."""
    hour = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    out = []
    for i in range(240):
        ts = hour - timedelta(hours=1 + i % 40, minutes=i % 50)
        kind = "purchase" if i % 4 == 3 else "page"
        name = "buy" if kind == "purchase" else NAMES["page"][i % 3]
        if kind == "page":
            doc: dict[str, Any] = {"screen": name.removeprefix("view_"), "load_ms": 200 + (i * 37) % 1200,
                                   "ab": {"variant": "a" if i % 2 else "b"}}
        else:
            doc = {"price": round(5 + i * 0.5, 2), "currency": ("EUR", "USD")[i % 2]}
        out.append(Row(ts, kind, name, ("ios", "android", "web")[i % 3], f"u{i % 60}",
                       None if i % 3 == 0 else ("DE", "FR")[i % 2], json.dumps(doc)))
    return out


def write_parquet(folder: Path, data: list[Row]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "ts": pa.array([r.ts for r in data], pa.timestamp("us", tz="UTC")),
        "event_type": [r.event_type for r in data], "event_name": [r.event_name for r in data],
        "platform": [r.platform for r in data], "user_id": [r.user_id for r in data],
        "country": pa.array([r.country for r in data], pa.string()), "properties": [r.properties for r in data],
    }), folder / "events.parquet")
    return folder


def load_postgres(server: PostgresServer, data: list[Row]) -> None:
    server.create_database(WAREHOUSE_DB)
    with psycopg.connect(server.libpq_dsn(WAREHOUSE_DB), autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS events")
        connection.execute("CREATE TABLE events (ts timestamptz, event_type text, event_name text, platform text, "
                           "user_id text, country text, properties text)")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s, %s, %s)",
                               [(r.ts, r.event_type, r.event_name, r.platform, r.user_id, r.country, r.properties)
                                for r in data])


def source_body(kind: str, folder: Path | None, server: PostgresServer | None) -> DataSourceCreate:
    if kind == "chdb":
        return DataSourceCreate(name="lake", db_type="chdb", path=str(folder), timeout_seconds=20)
    assert server is not None
    return DataSourceCreate(name="pg", db_type="postgres", host=server.host, port=server.port,
                            database_name=WAREHOUSE_DB, username=server.user, timeout_seconds=20)


@dataclass(frozen=True)
class Setup:
    project_id: uuid.UUID
    branch_id: uuid.UUID
    data_source_id: uuid.UUID


# The warehouses these tests read run on this machine; the owner's switch that allows them.
LOCAL_WAREHOUSES = OutboundPolicy(allowed_hosts=("127.0.0.1",))


def make_project(db: Database, source: DataSourceCreate, slug: str = "shop") -> Setup:
    with db.unit_of_work() as session:
        project = Project(name=slug.title(), slug=slug)
        session.add(project)
        session.flush()
        branch = Branch(project_id=project.id, name="main", kind=BranchKind.main.value)
        session.add(branch)
        ds = data_sources.create(session, BOX, source, LOCAL_WAREHOUSES)
        session.flush()
        return Setup(project.id, branch.id, ds.id)


def make_scan(db: Database, setup: Setup, **overrides: Any) -> uuid.UUID:
    settings: dict[str, Any] = {
        "name": "events", "base_query": "SELECT * FROM events", "event_type_column": "event_type",
        "time_column": "ts", "event_name_format": "{event_name}", "cardinality_threshold": 10,
        "json_value_paths": ["properties.screen"], "event_group_rules": [], "scan_row_limit": 50_000,
    }
    settings.update(overrides)
    with db.unit_of_work() as session:
        config = ScanConfig(project_id=setup.project_id, data_source_id=setup.data_source_id,
                            metric_breakdown_columns=[], distribution_drift_fields=[], **settings)
        session.add(config)
        session.flush()
        return config.id
