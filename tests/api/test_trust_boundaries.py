"""Project-bound keys and data sources; private targets refused when a destination or a data source is saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.scans.support import SCANS, create_scan, scan_body
from tests.sources.support import DS_URL, chdb_body, create_source
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.settings import Settings


def test_a_project_bound_key_sees_only_its_projects_data_sources(ws: Workspace, lake: Path) -> None:
    ws.project("shop", "Shop")
    ws.project("other", "Other")
    mine = create_source(ws.owner, chdb_body(lake, name="mine"))
    theirs = create_source(ws.owner, chdb_body(lake, name="theirs"))
    create_scan(ws.owner, mine, slug="shop")
    create_scan(ws.owner, theirs, slug="other")
    key = ws.key(ws.owner, "write", project_slug="shop")

    assert [s["name"] for s in key.get(DS_URL).json()] == ["mine"]
    assert key.get(f"{DS_URL}/{mine['id']}").status_code == 200
    for path in ("", "/schema", "/stats"):
        refused = key.get(f"{DS_URL}/{theirs['id']}{path}")
        assert refused.status_code == 404, (path, refused.text)
    preview = key.post("/api/v1/projects/shop/scans/preview",
                       json={"data_source_id": theirs["id"], "base_query": "SELECT 1 AS one"})
    assert preview.status_code == 404, preview.text
    # Unbound principals still see every data source.
    assert {s["name"] for s in ws.owner.get(DS_URL).json()} == {"mine", "theirs"}


def test_a_project_bound_key_cannot_attach_a_scan_config_to_another_projects_data_source(
        ws: Workspace, lake: Path) -> None:
    ws.project("shop", "Shop")
    ws.project("other", "Other")
    mine = create_source(ws.owner, chdb_body(lake, name="mine"))
    theirs = create_source(ws.owner, chdb_body(lake, name="theirs"))
    unused = create_source(ws.owner, chdb_body(lake, name="unused"))
    create_scan(ws.owner, mine, slug="shop")
    create_scan(ws.owner, theirs, slug="other")
    key = ws.key(ws.owner, "write", project_slug="shop")

    # Attaching is reading: a data source the key cannot see answers 404 and nothing is created.
    for source in (theirs, unused):
        refused = key.post(SCANS.format(slug="shop"), json=scan_body(source, name=f"grab {source['name']}"))
        assert refused.status_code == 404, refused.text
    assert key.get(f"{DS_URL}/{theirs['id']}/schema").status_code == 404
    assert [c["name"] for c in key.get(SCANS.format(slug="shop")).json()] == ["events"]
    # A scan config cannot be moved to another data source afterwards (data_source_id is not updatable).
    config = key.get(SCANS.format(slug="shop")).json()[0]
    moved = key.patch(f"{SCANS.format(slug='shop')}/{config['id']}", json={"data_source_id": theirs["id"]})
    assert moved.status_code == 422, moved.text
    # Its own project's data source stays attachable, and the owner's session may attach any.
    assert key.post(SCANS.format(slug="shop"), json=scan_body(mine, name="second")).status_code == 201
    assert ws.owner.post(SCANS.format(slug="shop"), json=scan_body(theirs, name="third")).status_code == 201


@pytest.fixture
def strict(settings: Settings) -> Iterator[Workspace]:
    """The default policy: no private target allowed."""
    strict_settings = settings.model_copy(update={"outbound_allowed_hosts": ""})
    with TestClient(create_app(strict_settings)) as client:
        db = Database(strict_settings.resolved_database_url)
        yield Workspace.create(client, db)
        db.dispose()


PRIVATE_HOSTS = ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "::127.0.0.1",
                 "::ffff:0:7f00:1", "64:ff9b::a9fe:a9fe"]


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_a_data_source_with_a_private_host_is_refused_at_save(strict: Workspace, host: str) -> None:
    body = {"name": "wh", "db_type": "clickhouse", "host": host, "database_name": "default"}
    refused = strict.owner.post(DS_URL, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("host:")
    assert refused.json()["errors"][0]["loc"] == ["body", "host"]
    assert strict.owner.get(DS_URL).json() == []
    made = strict.owner.post(DS_URL, json={**body, "host": "clickhouse.example.com"})
    assert made.status_code == 201, made.text
    moved = strict.owner.patch(f"{DS_URL}/{made.json()['id']}", json={"host": host})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["loc"] == ["body", "host"]


@pytest.mark.parametrize(("params", "field"), [
    ({"api_endpoint": "http://169.254.169.254/computeMetadata"}, "extra_params.api_endpoint"),
    ({"hostaddr": "127.0.0.1"}, "extra_params.hostaddr"),
    ({"http_proxy": "http://127.0.0.1:3128"}, "extra_params.http_proxy"),
])
def test_extra_params_cannot_steer_a_connection_elsewhere(strict: Workspace, params: dict[str, Any],
                                                         field: str) -> None:
    refused = strict.owner.post(DS_URL, json={"name": "bq", "db_type": "bigquery", "host": "bigquery.example.com",
                                              "database_name": "ds", "extra_params": params})
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "webhook", "target_url": "https://[::127.0.0.1]/hook"}, "target_url"),
    ({"type": "webhook", "target_url": "https://[::ffff:0:7f00:1]/hook"}, "target_url"),
    ({"type": "slack", "webhook_url": "https://[64:ff9b::a9fe:a9fe]/services/x"}, "webhook_url"),
    ({"type": "jira", "jira_base_url": "https://169.254.169.254", "jira_auth_email": "a@example.com",
      "jira_api_token": "t", "jira_project_key": "OPS"}, "jira_base_url"),
])
def test_a_destination_with_a_private_target_is_refused_at_save(strict: Workspace, body: dict[str, Any],
                                                                field: str) -> None:
    strict.project()
    refused = strict.editor.post("/api/v1/projects/shop/alert-destinations", json={"name": "d", **body})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(f"{field}:")
    assert refused.json()["errors"][0]["loc"] == ["body", field]
