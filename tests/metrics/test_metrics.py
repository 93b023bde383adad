"""Metrics end to end on SQLite and PostgreSQL: `run_metrics` really collects from a chDB folder of
Parquet files (aggregates in the warehouse), then every metrics operation answers through HTTP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import workspace_seed
from tests.metrics import support as ms
from tests.support.databases import Seed
from tests.support.workspace import Workspace
from tripl_core.metrics.models import MetricDay
from tripl_core.settings import Settings

P = "/api/v1/projects/shop"


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("app_lake"))


@pytest.fixture(scope="module")
def database_seed(app_lake: Path) -> Seed:
    """One full collection per database engine; each test starts from its own copy of the result."""
    def build(ws: Workspace, settings: Settings) -> dict[str, Any]:
        made = ms.metrics_project(ws, app_lake)
        made["summary"] = ms.collect(ws, settings.resolved_secret_key, made["scan"]["id"])
        return made
    return workspace_seed(__name__, build)


@pytest.fixture
def shop(seeded: dict[str, Any]) -> dict[str, Any]:
    return seeded


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_collection_summary_and_idempotent_rerun(ws: Workspace, shop: dict[str, Any], settings: Settings) -> None:
    summary = shop["summary"]
    assert summary["rows_read"] > 100_000
    assert summary["metric_points_written"] == ms.DAYS * 24 * (1 + 1 + 3)
    assert summary["signals_raised"] >= 1
    with ws.db.unit_of_work() as session:
        before = session.scalar(select(func.sum(MetricDay.total)))
    again = ms.collect(ws, settings.resolved_secret_key, shop["scan"]["id"], ms.START + timedelta(days=5),
                       ms.START + timedelta(days=6))
    assert again["metric_points_written"] == 24 * 5
    with ws.db.unit_of_work() as session:
        assert session.scalar(select(func.sum(MetricDay.total))) == before


def test_series_shape_zero_fill_and_planted_spike(ws: Workspace, shop: dict[str, Any]) -> None:
    click = shop["events"]["click"]["id"]
    response = ws.viewer.get(f"{P}/events/{click}/metrics",
                             params={"from": _iso(ms.SPIKE - timedelta(days=2)), "to": _iso(ms.END)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"scope", "scan_config_id", "event_id", "event_type_id", "interval", "data",
                         "latest_signal", "forecast"}
    assert (body["scope"], body["event_id"], body["interval"]) == ("event", click, "1h")
    assert len(body["data"]) == 24 * 3 + 10  # day 17 14:00 to day 21 00:00
    assert set(body["data"][0]) == {"bucket", "count", "expected", "lower", "upper", "is_anomaly", "z"}
    flagged = [p["bucket"] for p in body["data"] if p["is_anomaly"]]
    assert flagged == [_iso(ms.SPIKE)]
    assert body["latest_signal"]["bucket"] == _iso(ms.SPIKE)
    assert body["latest_signal"]["direction"] == "spike"
    assert [f["bucket"] for f in body["forecast"]] == [_iso(ms.END)]
    # zero-fill: a window before any collection answers no buckets; inside it every bucket is present
    total = ws.viewer.get(f"{P}/metrics/total", params={"from": _iso(ms.START), "to": _iso(ms.END)}).json()
    assert len(total["data"]) == ms.DAYS * 24
    assert all(p["count"] > 0 for p in total["data"])


def test_breakdowns_fold_other_and_timeline(ws: Workspace, shop: dict[str, Any]) -> None:
    view = shop["events"]["view"]["id"]
    body = ws.viewer.get(f"{P}/events/{view}/metrics/breakdowns", params={"column": "country"}).json()
    assert body["columns"] == ["platform", "country"]
    assert [(s["value"], s["is_other"]) for s in body["series"]] == [("us", False), ("jp", False), ("Other", True)] \
        or {s["value"] for s in body["series"]} == {"us", "in", "Other"}
    assert len(body["series"]) == 3
    scan = shop["scan"]["id"]
    other = ws.viewer.get(f"{P}/scans/{scan}/breakdown-timeline", params={
        "scope_type": "event", "scope_ref": view, "breakdown_column": "country", "breakdown_value": "Other",
        "is_other": "true"}).json()
    assert sum(p["count"] for p in other["data"]) == next(s["total"] for s in body["series"] if s["is_other"])
    bad = ws.viewer.get(f"{P}/events/{view}/metrics/breakdowns", params={"column": "nope"})
    assert bad.status_code == 422


def test_app_versions_fold_old_and_pre_releases(ws: Workspace, shop: dict[str, Any]) -> None:
    scan = shop["scan"]["id"]
    body = ws.viewer.get(f"{P}/scans/{scan}/version-adoption",
                         params={"from": _iso(ms.START), "to": _iso(ms.END)}).json()
    assert body["versions"] == ["1.1.0", "1.0.0", "Other"]
    assert body["latest_version"] == "1.1.0"
    assert sum(t["share"] for t in body["totals"]) == pytest.approx(1.0)
    regressions = ws.viewer.get(f"{P}/scans/{scan}/release-regressions").json()
    assert [(i["event_name"], i["kind"], i["version"]) for i in regressions["items"]] == [("buy", "missing", "1.1.0")]


def test_signals_movers_heatmap_overview(ws: Workspace, shop: dict[str, Any]) -> None:
    scan, click = shop["scan"]["id"], shop["events"]["click"]["id"]
    movers = ws.viewer.get(f"{P}/scans/{scan}/top-movers", params={
        "scope_type": "event", "scope_ref": click, "bucket": _iso(ms.SPIKE)}).json()
    assert movers[0]["z"] > 4
    heat = ws.viewer.get(f"{P}/scans/{scan}/seasonality", params={
        "scope_type": "project_total", "scope_ref": scan, "from": _iso(ms.START), "to": _iso(ms.END)}).json()
    assert len(heat["cells"]) == 168
    assert heat["total_count"] == shop["summary"]["rows_read"]
    queried = ws.viewer.post(f"{P}/anomalies/signals/query", json={"event_ids": [click]})
    assert queried.status_code == 200  # signals of 2024 are no longer active
    assert queried.json() == []
    window = ws.viewer.post(f"{P}/events/window-metrics", json={
        "event_ids": [click], "time_from": _iso(ms.SPIKE), "time_to": _iso(ms.SPIKE + timedelta(hours=2))}).json()
    assert window[0]["total_count"] == sum(p["count"] for p in window[0]["data"])
    assert len(window[0]["data"]) == 2
    events = ws.viewer.get(f"{P}/events-metrics", params={"search": "cli", "from": _iso(ms.START),
                                                          "to": _iso(ms.END)}).json()
    assert sum(p["count"] for p in events["data"]) == window_total(ws, click)
    assert ws.viewer.get(f"{P}/overview/kpi-series", params={"days": 3}).json()["days"] == 3
    assert ws.viewer.get(f"{P}/overview/top-events").status_code == 200
    drifts = ws.viewer.get(f"{P}/distribution-drifts", params={"scope_type": "project_total", "scope_ref": scan})
    assert drifts.json()["data"][0]["band"] == "stable"


def window_total(ws: Workspace, event_id: str) -> int:
    body = ws.viewer.get(f"{P}/events/{event_id}/metrics", params={"from": _iso(ms.START), "to": _iso(ms.END)})
    return sum(p["count"] for p in body.json()["data"])


def test_anomaly_settings_and_annotations(ws: Workspace, shop: dict[str, Any]) -> None:
    got = ws.viewer.get(f"{P}/anomaly-settings").json()
    assert (got["sigma_threshold"], got["min_expected_count"], got["baseline_window_buckets"]) == (4.0, 0, 14)
    assert ws.editor.patch(f"{P}/anomaly-settings", json={"min_history_buckets": 20}).status_code == 422
    assert ws.editor.patch(f"{P}/anomaly-settings", json={"sigma_threshold": 0}).status_code == 422
    assert ws.editor.patch(f"{P}/anomaly-settings", json={"sigma_threshold": 5.5}).json()["sigma_threshold"] == 5.5
    created = ws.editor.post(f"{P}/annotations", json={"bucket": _iso(ms.SPIKE), "label": "campaign"})
    assert created.status_code == 201, created.text
    listed = ws.viewer.get(f"{P}/annotations").json()
    assert [a["label"] for a in listed] == ["campaign"]
    assert ws.editor.delete(f"{P}/annotations/{created.json()['id']}").status_code == 204
    assert ws.viewer.get(f"{P}/annotations").json() == []
    assert ws.editor.post(f"{P}/annotations", json={"bucket": _iso(ms.SPIKE), "label": ""}).status_code == 422


def test_replay_in_chunks_is_cancellable_and_validated(ws: Workspace, shop: dict[str, Any],
                                                        settings: Settings) -> None:
    import uuid

    from tripl_core.metrics.collect import MetricsCancelled
    from tripl_core.metrics.replay import replay
    from tripl_core.security import SecretBox

    scan_id = uuid.UUID(shop["scan"]["id"])
    box = SecretBox(settings.resolved_secret_key)
    done = replay(ws.db, scan_id, ms.START + timedelta(days=3), ms.START + timedelta(days=3, hours=5), secrets=box)
    assert (done["chunks_done"], done["metric_points_written"]) == (5, 5 * 5)
    calls = iter([False, False, True, True, True, True])
    with pytest.raises(MetricsCancelled):
        replay(ws.db, scan_id, ms.START, ms.START + timedelta(hours=6), secrets=box,
               cancel_requested=lambda: next(calls))
    url = f"{P}/scans/{scan_id}/metrics/replay"
    future = ws.editor.post(url, json={"time_from": _iso(ms.START), "time_to": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422
    assert ws.editor.post(url, json={"time_from": _iso(ms.END), "time_to": _iso(ms.START)}).status_code == 422
    queued = ws.editor.post(url, json={"time_from": _iso(ms.START), "time_to": _iso(ms.END)})
    assert queued.status_code == 202, queued.text
    assert queued.json()["kind"] == "replay"
