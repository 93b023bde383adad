"""Every scan config and scan job route x every kind of caller (SEMANTICS §9: scan SQL is the owner's,
scan runs the editor's, reading for every role). Runs go to an API without a launcher: the job fails at
once, which frees the project for the next caller."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_permission_matrix import CALLERS, callers, expect, failure
from tests.scans.support import create_scan, scan_body
from tests.sources.support import chdb_body, create_source
from tests.support.workspace import Actor, Workspace

pytestmark = pytest.mark.engine_independent

_counter = itertools.count()
SCANS = "/api/v1/projects/shop/scans"
PREVIEW_ROUTES = {"preview_scan_config", "get_scan_preview_job",  # in test_sources_permissions
                  "replay_scan_metrics"}  # in test_metrics_permissions


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: dict[str, int]
    body: bool = False


READS = expect(200, anonymous=401, bound_key=404)
OWNER_WRITES = expect(403, anonymous=401, owner=201, write_key=201, bound_key=404)
EDITOR_RUNS = expect(202, anonymous=401, viewer=403, read_key=403, bound_key=404)
CASES: dict[str, Case] = {
    "list_scan_configs": Case("GET", SCANS, READS),
    "create_scan_config": Case("POST", SCANS, OWNER_WRITES, body=True),
    "get_scan_config": Case("GET", SCANS + "/{scan_id}", READS),
    "update_scan_config": Case("PATCH", SCANS + "/{scan_id}", {**OWNER_WRITES, "owner": 200, "write_key": 200},
                               body=True),
    "delete_scan_config": Case("DELETE", SCANS + "/{scan_id}", {**OWNER_WRITES, "owner": 204, "write_key": 204}),
    "run_scan": Case("POST", SCANS + "/{scan_id}/run", EDITOR_RUNS),
    "apply_scan_event_groups": Case("POST", SCANS + "/{scan_id}/event-groups/apply", EDITOR_RUNS),
    "list_scan_jobs": Case("GET", SCANS + "/{scan_id}/jobs", READS),
    "get_scan_job": Case("GET", SCANS + "/{scan_id}/jobs/{job_id}", READS),
    # The job is failed already (no launcher), so an allowed cancel is refused as finished (409).
    "cancel_scan_job": Case("POST", SCANS + "/{scan_id}/jobs/{job_id}/cancel",
                            expect(409, anonymous=401, viewer=403, read_key=403, bound_key=404)),
}


@pytest.fixture
def source(ws: Workspace, lake: Path) -> dict[str, Any]:
    return create_source(ws.owner, chdb_body(lake))


def _ids(ws: Workspace, source: dict[str, Any]) -> dict[str, str]:
    scan = create_scan(ws.owner, source, name=f"scan{next(_counter)}")
    job = ws.owner.post(f"{SCANS}/{scan['id']}/run").json()
    return {"scan_id": scan["id"], "job_id": job["id"]}


def test_matrix_covers_every_scans_route(ws: Workspace) -> None:
    served = {op["summary"].lower().replace(" ", "_")
              for item in ws.client.app.openapi()["paths"].values()  # type: ignore[attr-defined]
              for op in item.values() if "scans" in op.get("tags", [])}
    assert served - PREVIEW_ROUTES == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scans_permission_matrix(ws: Workspace, source: dict[str, Any], name: str) -> None:
    case = CASES[name]
    actors: dict[str, Actor] = callers(ws)
    failures = []
    ids = _ids(ws, source)
    for caller in CALLERS:
        if case.method == "DELETE":  # each caller deletes an object of its own; the others share one set
            ids = _ids(ws, source)
        body = scan_body(source, name=f"new{next(_counter)}") if case.body else None
        if body is not None and case.method == "PATCH":
            body = {"name": body["name"]}
        failures += failure(caller, actors[caller].request(case.method, case.path.format(**ids), json=body),
                            case.expect[caller])
    assert not failures, "\n".join(failures)
