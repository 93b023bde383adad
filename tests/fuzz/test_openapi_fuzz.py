"""Schemathesis over the whole OpenAPI document, as the owner, with real objects created first (a project,
an event type with a field, an event, a meta field, a variable, a data source, a scan config, a destination
with a rule, an annotation): path parameters naming those objects get their real ids, so generated input
reaches the services and not only the 404s. A bounded number of examples per operation keeps it to a
minute or two. No operation may answer 5xx, and the process must stay within a memory budget."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck

from tests.sources.support import lake_fixture
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.settings import Settings

EXAMPLES_PER_OPERATION = 3
# Keep the objects the run is about: deletions get random ids, and nothing revokes the run's own key.
KEEP_REAL_IDS_FOR = frozenset({"GET", "POST", "PATCH", "PUT"})


# In-process: the app, its in-process scan runs and whatever the test client holds (chDB runs in engine
# processes of its own and the demo warehouse is generated in a child, so neither counts here).
GROWTH_BUDGET_MIB = 300
# The app is built when the module is collected (schemathesis reads its OpenAPI document to parametrize the
# test), in every worker that collects it: the document is taken from the app object, without starting the
# app or making a request. Its database file is put in place by the `fuzzed` fixture before any request.
ROOT = Path(tempfile.mkdtemp(prefix="tripl-fuzz-"))
atexit.register(shutil.rmtree, ROOT, True)  # also where the module is collected but not run
SETTINGS = Settings(state_dir=ROOT / "state", database_url=f"sqlite+pysqlite:///{ROOT / 'tripl.db'}",
                    secret_key="fuzz-secret", login_rate_limit="100000/minute", register_rate_limit="100000/minute")
APP = create_app(SETTINGS)
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app, schema.location = APP, "/openapi.json"  # what from_asgi sets: cases are called on the app


class Fuzzed:
    def __init__(self, token: str, ids: dict[str, str]) -> None:
        self.token, self.ids = token, ids
        self.rss_before_mib = rss_mib()


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture(scope="module")
def fuzzed(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    # Should anything have opened the (then empty) database in WAL mode, close those connections and drop
    # its log before the migrated copy takes its place, or SQLite reads the new file through the old
    # shared-memory index and answers "database is locked".
    APP.state.tripl.db.dispose()
    for stale in ("tripl.db-wal", "tripl.db-shm"):
        (ROOT / stale).unlink(missing_ok=True)
    shutil.copy(sqlite_template, ROOT / "tripl.db")
    with TestClient(APP) as client:
        db = Database(SETTINGS.resolved_database_url)
        ws = Workspace.create(client, db)
        key = ws.key(ws.owner, "write")
        ids = _objects(ws, lake_fixture(tmp_path_factory))
        yield Fuzzed(key.headers["Authorization"], ids)
        db.dispose()


def _objects(ws: Workspace, lake: Path) -> dict[str, str]:
    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = ws.owner.post(path, json=body)
        assert response.status_code == 201, (path, response.text)
        created: dict[str, Any] = response.json()
        return created

    p = "/api/v1/projects/shop"
    ws.project("shop")
    event_type = made(p + "/event-types", {"name": "checkout"})
    field = made(f"{p}/event-types/{event_type['id']}/fields",
                 {"name": "screen", "display_name": "Screen", "field_type": "string"})
    event = made(p + "/events", {"event_type_id": event_type["id"], "name": "checkout_done"})
    meta = made(p + "/meta-fields", {"name": "team", "display_name": "Team", "field_type": "string"})
    variable = made(p + "/variables", {"name": "user_id"})
    source = made("/api/v1/data-sources", {"name": "lake", "db_type": "chdb", "path": str(lake)})
    scan = made(p + "/scans", {"data_source_id": source["id"], "name": "events", "interval": "1h",
                               "base_query": "SELECT id, ts, category, properties FROM events",
                               "event_type_column": "category", "time_column": "ts"})
    destination = made(p + "/alert-destinations", {"type": "webhook", "name": "hook",
                                                   "target_url": "https://hooks.example.com/x"})
    rule = made(f"{p}/alert-destinations/{destination['id']}/rules", {"name": "all"})
    note = made(p + "/annotations", {"bucket": "2024-03-10T00:00:00Z", "label": "release"})
    return {"slug": "shop", "event_type_id": event_type["id"], "field_id": field["id"], "event_id": event["id"],
            "meta_field_id": meta["id"], "variable_id": variable["id"], "ds_id": source["id"],
            "scan_config_id": scan["id"], "scan_id": scan["id"], "destination_id": destination["id"],
            "rule_id": rule["id"], "annotation_id": note["id"]}


@schema.parametrize()
# Generation only: schemathesis's coverage phase (boundary values of every parameter) would multiply the
# requests per operation far beyond the bound.
@hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
def test_no_operation_answers_5xx(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    if case.path_parameters and case.method.upper() in KEEP_REAL_IDS_FOR:
        for name in case.path_parameters:
            if name in fuzzed.ids:
                case.path_parameters[name] = fuzzed.ids[name]
    response = case.call(headers={"Authorization": fuzzed.token}, timeout=180)  # a loaded CI machine is slow
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"


def test_memory_stayed_within_budget(fuzzed: Fuzzed) -> None:
    """Runs after the fuzz operations of this module: the API (served in this process) grew by less than
    the budget over the whole run. The 500 MiB budget of a real API process is measured by
    bench/fuzz_memory.py (docs/benchmarks.md)."""
    grown = rss_mib() - fuzzed.rss_before_mib
    assert grown < GROWTH_BUDGET_MIB, f"the process grew by {grown:.0f} MiB during the fuzz run"
