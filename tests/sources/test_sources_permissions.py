"""Every data-source and scan-preview route x every kind of caller: the status each one must get.

Callers as in test_permission_matrix: anonymous, viewer/editor/owner sessions, the owner's read key,
write key, and a write key bound to another project ("other"; the routes use "shop")."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_permission_matrix import CALLERS, callers, expect, failure
from tests.scans.test_scans_permissions import CASES as SCAN_CASES
from tests.sources.support import DS_URL, chdb_body, create_source, wait_for_job
from tests.support.workspace import Actor, Workspace

pytestmark = pytest.mark.engine_independent

_counter = itertools.count()
SOURCE_TAGS = {"data-sources", "scans"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: dict[str, int]
    body: Callable[[Path, dict[str, str]], Any] | None = None


def _fresh_name(lake: Path, _ids: dict[str, str]) -> dict[str, Any]:
    return chdb_body(lake, name=f"source{next(_counter)}")


def _preview_body(_lake: Path, ids: dict[str, str]) -> dict[str, Any]:
    return {"data_source_id": ids["ds_id"], "base_query": "SELECT 1 AS one"}


# A key bound to another project sees only the data sources its own scan configs use: 404 for this one.
EDITOR_READS = expect(200, anonymous=401, viewer=403, bound_key=404)
CASES: dict[str, Case] = {
    "list_data_sources": Case("GET", DS_URL, expect(200, anonymous=401)),
    "get_data_source": Case("GET", DS_URL + "/{ds_id}", expect(200, anonymous=401, bound_key=404)),
    "create_data_source": Case("POST", DS_URL, expect(403, anonymous=401, owner=201, write_key=201),
                               body=_fresh_name),
    "update_data_source": Case("PATCH", DS_URL + "/{ds_id}", expect(403, anonymous=401, owner=200, write_key=200),
                               body=lambda _lake, _ids: {"timeout_seconds": 7}),
    "delete_data_source": Case("DELETE", DS_URL + "/{victim_id}",
                               expect(403, anonymous=401, owner=204, write_key=204)),
    "get_data_source_stats": Case("GET", DS_URL + "/{ds_id}/stats", EDITOR_READS),
    "get_data_source_schema": Case("GET", DS_URL + "/{ds_id}/schema", EDITOR_READS),
    "test_data_source_connection": Case("POST", DS_URL + "/{ds_id}/test",
                                        expect(200, anonymous=401, viewer=403, read_key=403, bound_key=403)),
    "preview_scan_config": Case("POST", "/api/v1/projects/shop/scans/preview",
                                expect(403, anonymous=401, owner=202, write_key=202, bound_key=404),
                                body=_preview_body),
    "get_scan_preview_job": Case("GET", "/api/v1/projects/shop/scans/preview-jobs/{job_id}",
                                 expect(403, anonymous=401, owner=200, read_key=200, write_key=200,
                                        bound_key=404)),
}


def _ids(ws: Workspace, lake: Path) -> dict[str, str]:
    source = create_source(ws.owner, chdb_body(lake, name=f"fixture{next(_counter)}"))
    victim = create_source(ws.owner, chdb_body(lake, name=f"victim{next(_counter)}"))
    job = ws.owner.post("/api/v1/projects/shop/scans/preview",
                        json={"data_source_id": source["id"], "base_query": "SELECT 1 AS one"}).json()
    wait_for_job(ws.owner, "shop", job["id"])
    return {"ds_id": source["id"], "victim_id": victim["id"], "job_id": job["id"]}


def test_matrix_covers_every_sources_route(ws: Workspace) -> None:
    # Read from the OpenAPI document: this FastAPI includes routers lazily, so `app.routes` does not
    # list them. Summaries are the function names in title case.
    served = {op["summary"].lower().replace(" ", "_")
              for item in ws.client.app.openapi()["paths"].values()  # type: ignore[attr-defined]
              for op in item.values() if SOURCE_TAGS & set(op.get("tags", []))}
    # Scan config and job routes: test_scans_permissions; replay: test_metrics_permissions.
    assert served - set(SCAN_CASES) - {"replay_scan_metrics"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sources_permission_matrix(ws: Workspace, lake: Path, name: str) -> None:
    case = CASES[name]
    actors: dict[str, Actor] = callers(ws)
    failures = []
    ids = _ids(ws, lake)
    for caller in CALLERS:
        if case.method == "DELETE":  # each caller deletes an object of its own; the others share one set
            ids = _ids(ws, lake)
        body = case.body(lake, ids) if case.body else None
        failures += failure(caller, actors[caller].request(case.method, case.path.format(**ids), json=body),
                            case.expect[caller])
    assert not failures, "\n".join(failures)
