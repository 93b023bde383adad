"""Every metrics, anomaly-settings, chart-annotation and replay route x every kind of caller: reads for
every role and key of the project, settings, annotations and replays for editors and write keys; a key
bound to another project sees nothing (404)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_permission_matrix import CALLERS, callers, expect
from tests.metrics import support as ms
from tests.support.workspace import Actor, Workspace

pytestmark = pytest.mark.engine_independent

P = "/api/v1/projects/shop"
TAGS = {"metrics", "chart-annotations", "anomaly-settings"}
_counter = itertools.count()


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: dict[str, int]
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None


READS = expect(200, anonymous=401, bound_key=404)
EDITS = expect(200, anonymous=401, viewer=403, read_key=403, bound_key=404)
SCOPE = {"scope_type": "project_total", "scope_ref": "{scan_id}"}
CASES: dict[str, Case] = {
    "get_events_metrics": Case("GET", P + "/events-metrics", READS),
    "get_events_window_metrics": Case("POST", P + "/events/window-metrics", READS, {"event_ids": ["{event_id}"]}),
    "get_overview_kpi_series": Case("GET", P + "/overview/kpi-series", READS),
    "get_overview_top_events": Case("GET", P + "/overview/top-events", READS),
    "get_project_total_metrics": Case("GET", P + "/metrics/total", READS),
    "get_event_metrics": Case("GET", P + "/events/{event_id}/metrics", READS),
    "get_event_metric_breakdowns": Case("GET", P + "/events/{event_id}/metrics/breakdowns", READS),
    "get_event_type_metrics": Case("GET", P + "/event-types/{type_id}/metrics", READS),
    "get_active_signals": Case("GET", P + "/anomalies/signals", READS),
    "query_active_signals": Case("POST", P + "/anomalies/signals/query", READS, {"event_ids": []}),
    "get_top_movers": Case("GET", P + "/scans/{scan_id}/top-movers", READS,
                           params={**SCOPE, "bucket": "2024-03-10T00:00:00Z"}),
    "get_seasonality_heatmap": Case("GET", P + "/scans/{scan_id}/seasonality", READS, params=SCOPE),
    "get_breakdown_timeline": Case("GET", P + "/scans/{scan_id}/breakdown-timeline", READS,
                                   params={**SCOPE, "breakdown_column": "platform", "breakdown_value": "ios"}),
    "get_app_version_series": Case("GET", P + "/scans/{scan_id}/app-versions", READS),
    "get_app_version_adoption": Case("GET", P + "/scans/{scan_id}/version-adoption", READS),
    "get_release_regressions": Case("GET", P + "/scans/{scan_id}/release-regressions", READS),
    "get_distribution_drifts": Case("GET", P + "/distribution-drifts", READS, params=SCOPE),
    "get_project_anomaly_settings": Case("GET", P + "/anomaly-settings", READS),
    "update_project_anomaly_settings": Case("PATCH", P + "/anomaly-settings", EDITS, {"sigma_threshold": 4.5}),
    "list_chart_annotations": Case("GET", P + "/annotations", READS),
    "create_chart_annotation": Case("POST", P + "/annotations", {**EDITS, **{c: 201 for c in CALLERS
                                    if EDITS[c] == 200}}, {"bucket": "2024-03-10T00:00:00Z", "label": "x"}),
    "delete_chart_annotation": Case("DELETE", P + "/annotations/{annotation_id}",
                                    {**EDITS, **{c: 204 for c in CALLERS if EDITS[c] == 200}}),
    # no launcher in this app: an allowed replay is queued (202) and its job fails at once
    "replay_scan_metrics": Case("POST", P + "/scans/{scan_id}/metrics/replay",
                                {**EDITS, **{c: 202 for c in CALLERS if EDITS[c] == 200}},
                                {"time_from": "2024-03-04T00:00:00Z", "time_to": "2024-03-05T00:00:00Z"}),
}


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("app_lake_perm"))


def test_matrix_covers_every_route(ws: Workspace) -> None:
    served = {op["summary"].lower().replace(" ", "_")
              for item in ws.client.app.openapi()["paths"].values()  # type: ignore[attr-defined]
              for op in item.values() if TAGS & set(op.get("tags", []))}
    assert served | {"replay_scan_metrics"} == set(CASES)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_metrics_permission_matrix(ws: Workspace, app_lake: Path) -> None:
    actors: dict[str, Actor] = callers(ws)
    made = ms.metrics_project(ws, app_lake, create_project=False)
    ids = {"scan_id": made["scan"]["id"], "event_id": made["events"]["click"]["id"], "type_id": made["type"]["id"]}
    failures = []
    for name, case in CASES.items():
        for caller in CALLERS:
            note = ws.owner.post(P + "/annotations", json={"bucket": "2024-03-10T00:00:00Z", "label": "n"}).json()
            ids["annotation_id"] = note["id"]
            response = actors[caller].request(case.method, case.path.format(**ids), json=_fill(case.body, ids),
                                              params=_fill(case.params, ids))
            if response.status_code != case.expect[caller]:
                failures.append(f"{name} {caller}: expected {case.expect[caller]}, got {response.status_code} "
                                f"{response.text[:200]}")
    assert not failures, "\n".join(failures)
