"""A chDB warehouse for the metrics tests: three weeks of hourly traffic of three events with a daily
rhythm, two platforms and a long tail of countries (breakdown folding), app releases 1.0.0 → 1.1.0 (with a
pre-release and an old release folded into Other), and one planted spike of `click` at SPIKE."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.plan.support import make_event, make_type
from tests.scans.support import create_scan
from tests.sources.support import chdb_body, create_source
from tests.support.workspace import Workspace
from tripl_core.access import accounts
from tripl_core.access.principal import Principal
from tripl_core.db.engine import Database
from tripl_core.metrics.run import run_metrics
from tripl_core.plan import projects
from tripl_core.plan.schemas import ProjectCreate
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.sources import data_sources
from tripl_core.sources.schemas import DataSourceCreate

START = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
DAYS = 21
END = START + timedelta(days=DAYS)
SPIKE = START + timedelta(days=19, hours=14)
RATES = {"click": 120.0, "view": 200.0, "buy": 40.0}
COUNTRIES = ["us", "de", "fr", "gb", "jp", "br", "in"]  # top 2 kept, the rest is Other
RELEASE_DAY = 10  # 1.1.0 ships, and on it `buy` is never sent


def write_lake(folder: Path) -> Path:
    rng = np.random.default_rng(11)
    rows: dict[str, list[Any]] = {"ts": [], "name": [], "platform": [], "country": [], "app_version": []}
    for hour in range(DAYS * 24):
        moment = START + timedelta(hours=hour)
        rhythm = 1.0 + 0.5 * np.sin(2 * np.pi * (moment.hour - 6) / 24)
        for name, rate in RATES.items():
            count = int(rng.poisson(rate * rhythm * (4.0 if name == "click" and moment == SPIKE else 1.0)))
            new = hour >= RELEASE_DAY * 24
            for i in range(count):
                version = ("1.1.0" if new and i % 2 else "1.0.0") if i % 10 else ("0.9.0" if i % 20 else "1.2.0-beta")
                if name == "buy" and version == "1.1.0":
                    version = "1.0.0"
                rows["ts"].append(moment + timedelta(seconds=int(rng.integers(0, 3600))))
                rows["name"].append(name)
                rows["platform"].append("ios" if i % 3 else "android")
                rows["country"].append(COUNTRIES[min(i % 12, 6)])
                rows["app_version"].append(version)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"ts": pa.array(rows["ts"], pa.timestamp("us", tz="UTC")),
                             **{k: pa.array(v, pa.string()) for k, v in rows.items() if k != "ts"}}),
                   folder / "app_events.parquet")
    return folder


def metrics_project(ws: Workspace, lake: Path, create_project: bool = True, **extra: Any) -> dict[str, Any]:
    """Project `shop` with type `app` holding click/view/buy and a scan config over the lake."""
    if create_project:
        ws.project("shop")
    app = make_type(ws.owner, "shop", "app")
    events = {name: make_event(ws.owner, "shop", app["id"], name) for name in RATES}
    source = create_source(ws.owner, chdb_body(lake, name="app-lake"))
    body = {"base_query": "SELECT ts, name, platform, country, app_version FROM app_events",
            "event_type_id": app["id"], "event_type_column": None, "event_name_format": "{name}",
            "interval": "1h", "metric_breakdown_columns": ["platform", "country"],
            "metric_breakdown_values_limit": 2, "app_version_column": "app_version",
            "app_version_keep_releases": 2, "distribution_drift_fields": ["country"], **extra}
    scan = create_scan(ws.owner, source, name="app-metrics", **body)
    return {"scan": scan, "type": app, "events": events}


def collect(ws: Workspace, secret: str, scan_id: str, start: datetime = START, end: datetime = END) -> dict[str, Any]:
    import uuid

    return run_metrics(ws.db, uuid.UUID(scan_id), start, end, secrets=SecretBox(secret))


def bare_scan_config(db: Database, folder: Path, slug: str) -> uuid.UUID:
    """A scan config row in a new project of a new owner, over a chDB source of `folder`: the row alone (no
    warehouse behind it to validate against), for tests of what refers to it."""
    with db.unit_of_work() as session:
        owner = accounts.register(session, email=f"{slug}@example.com", password=f"{slug} password", name=slug)
        source = data_sources.create(session, SecretBox(f"{slug}-test"),
                                     DataSourceCreate(name="lake", db_type="chdb", path=str(folder)))
        project = projects.create(session, Principal(owner), ProjectCreate(name=slug, slug=slug))
        config = ScanConfig(project_id=project.id, data_source_id=source.id, name=slug,
                            base_query="SELECT * FROM events", time_column="ts", interval="1h")
        session.add(config)
        session.flush()
        return config.id
