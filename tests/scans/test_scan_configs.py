"""Scan config CRUD through HTTP, validated against chDB and PostgreSQL warehouses: 422s naming the
field, 409s, 404s for other projects, event types bound to a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scans.support import SCANS, create_scan, scan_body
from tests.sources.support import chdb_body, create_source, postgres_body
from tests.support.postgres import PostgresServer
from tests.support.workspace import Workspace

URL = SCANS.format(slug="shop")


@pytest.fixture
def source(ws: Workspace, lake: Path) -> dict[str, Any]:
    ws.project("shop")
    return create_source(ws.owner, chdb_body(lake))


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {".".join(str(p) for p in error["loc"][1:]) for error in response.json()["errors"]}


def test_create_get_list_update_delete(ws: Workspace, source: dict[str, Any]) -> None:
    created = create_scan(ws.owner, source, event_name_format="{category}:{properties.page}",
                          json_value_paths=["properties.page"], interval="1h", replay_chunk_interval="1d",
                          event_group_rules=[{"name": "browse", "conditions": [{"field": "category",
                                                                                "pattern": "^(view|click)$"}]}])
    assert created["cardinality_threshold"] == 100
    assert created["scan_row_limit"] == 50_000
    assert created["metrics_row_limit"] == 100_000
    assert created["app_version_keep_releases"] == 5
    assert created["interval"] == "1h"
    assert created["event_group_rules"][0]["condition_logic"] == "all"
    assert ws.owner.get(f"{URL}/{created['id']}").json() == created
    assert [c["id"] for c in ws.viewer.get(URL).json()] == [created["id"]]

    updated = ws.owner.patch(f"{URL}/{created['id']}", json={"name": "renamed", "interval": None,
                                                             "scan_row_limit": None})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "renamed"
    assert updated.json()["interval"] is None
    assert updated.json()["scan_row_limit"] == 50_000
    assert updated.json()["event_name_format"] == "{category}:{properties.page}"

    assert ws.owner.delete(f"{URL}/{created['id']}").status_code == 204
    assert ws.owner.get(f"{URL}/{created['id']}").status_code == 404


def test_on_postgres_the_columns_are_read_from_the_warehouse(ws: Workspace, warehouse_pg: PostgresServer) -> None:
    ws.project("shop")
    pg = create_source(ws.owner, postgres_body(warehouse_pg))
    create_scan(ws.owner, pg, event_name_format="{category}")
    refused = ws.owner.post(URL, json=scan_body(pg, name="x", event_name_format="{nope}"))
    assert _fields(refused) == {"event_name_format"}
    assert "nope" in refused.json()["detail"]


@pytest.mark.parametrize(("extra", "field"), [
    ({"event_name_format": "{category}:{missing}"}, "event_name_format"),
    ({"event_name_format": "no placeholder"}, "event_name_format"),
    ({"event_name_format": "{category"}, "event_name_format"),
    ({"event_type_column": "kind"}, "event_type_column"),
    ({"time_column": "when"}, "time_column"),
    ({"metric_breakdown_columns": ["platform"]}, "metric_breakdown_columns.0"),
    ({"json_value_paths": ["page"]}, "json_value_paths.0"),
    ({"json_value_paths": ["nocolumn.page"]}, "json_value_paths.0"),
    ({"event_group_rules": [{"name": "g", "conditions": [{"field": "screen", "pattern": "x"}]}]},
     "event_group_rules.0.conditions.0.field"),
    ({"time_column": None, "interval": "15m"}, "interval"),
    ({"interval": "1d", "replay_chunk_interval": "1h"}, "replay_chunk_interval"),
    ({"event_type_column": None}, "event_type_id"),
    ({"base_query": "DELETE FROM events"}, "base_query"),
    ({"base_query": "SELECT * FROM no_such_table"}, "base_query"),
])
@pytest.mark.engine_independent
def test_invalid_configs_are_refused_naming_the_field(ws: Workspace, source: dict[str, Any],
                                                      extra: dict[str, Any], field: str) -> None:
    response = ws.owner.post(URL, json=scan_body(source, **extra))
    assert field in _fields(response)
    assert ws.owner.get(URL).json() == []


@pytest.mark.parametrize(("extra", "field"), [
    ({"cardinality_threshold": 0}, "cardinality_threshold"),
    ({"scan_row_limit": 0}, "scan_row_limit"),
    ({"interval": "2h"}, "interval"),
    ({"event_group_rules": [{"name": "g", "conditions": []}]}, "event_group_rules.0.conditions"),
    ({"event_group_rules": [{"name": "g", "conditions": [{"field": "category", "pattern": "(["}]}]},
     "event_group_rules.0.conditions.0.pattern"),
    ({"event_group_rules": [{"name": "g", "conditions": [{"field": "category", "pattern": "x"}] * 21}]},
     "event_group_rules.0.conditions"),
])
@pytest.mark.engine_independent
def test_shape_errors_name_the_field(ws: Workspace, source: dict[str, Any], extra: dict[str, Any],
                                     field: str) -> None:
    assert field in _fields(ws.owner.post(URL, json=scan_body(source, **extra)))


@pytest.mark.engine_independent
def test_event_type_id_and_column_exclude_each_other(ws: Workspace, source: dict[str, Any]) -> None:
    event_type = ws.owner.post("/api/v1/projects/shop/event-types", json={"name": "web"}).json()
    both = ws.owner.post(URL, json=scan_body(source, event_type_id=event_type["id"]))
    assert "event_type_id" in _fields(both)
    bound = create_scan(ws.owner, source, event_type_id=event_type["id"], event_type_column=None)
    assert bound["event_type_id"] == event_type["id"]

    refused = ws.owner.delete(f"/api/v1/projects/shop/event-types/{event_type['id']}")
    assert refused.status_code == 409, refused.text
    assert "events" in refused.json()["detail"]
    switched = ws.owner.patch(f"{URL}/{bound['id']}", json={"event_type_id": None, "event_type_column": "category"})
    assert switched.status_code == 200, switched.text
    assert ws.owner.delete(f"/api/v1/projects/shop/event-types/{event_type['id']}").status_code == 204


def test_update_is_validated_like_create(ws: Workspace, source: dict[str, Any]) -> None:
    created = create_scan(ws.owner, source)
    response = ws.owner.patch(f"{URL}/{created['id']}", json={"base_query": "SELECT id, ts FROM events"})
    assert "event_type_column" in _fields(response)
    assert ws.owner.get(f"{URL}/{created['id']}").json()["base_query"] == created["base_query"]


def test_names_are_unique_per_project(ws: Workspace, source: dict[str, Any]) -> None:
    create_scan(ws.owner, source)
    assert ws.owner.post(URL, json=scan_body(source)).status_code == 409
    ws.project("other", "Other")
    create_scan(ws.owner, source, slug="other")


def test_ids_of_another_project_are_not_found(ws: Workspace, source: dict[str, Any]) -> None:
    ws.project("other", "Other")
    theirs = create_scan(ws.owner, source, slug="other")
    for method in ("GET", "PATCH", "DELETE"):
        response = ws.owner.request(method, f"{URL}/{theirs['id']}", json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, response.text)
    assert ws.owner.post(f"{URL}/{theirs['id']}/run").status_code == 404
