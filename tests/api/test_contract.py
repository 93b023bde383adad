"""The HTTP contract: spec/endpoints.json (vendored from the reference) lists each operation's tag, name, method
and path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tripl_api.main import create_app
from tripl_core.settings import Settings

SPEC = Path(__file__).resolve().parents[2] / "spec" / "endpoints.json"

# Operations whose issue has landed. Each issue adds its (tag, operation) pairs here.
NOT_YET: set[tuple[str, str]] = set()
IMPLEMENTED_TAGS = {"auth", "users", "projects", "activity", "audit", "api-keys", "data-sources", "alerting",
                   "plan-branches", "plan-revisions", "event-photos", "search", "ai", "settings"}


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    state = tmp_path_factory.mktemp("state")
    spec: dict[str, Any] = create_app(Settings(state_dir=state, secret_key="x")).openapi()
    return spec


@pytest.fixture(scope="module")
def contract() -> list[dict[str, str]]:
    assert SPEC.exists(), f"the contract is expected at {SPEC}"
    operations: list[dict[str, str]] = json.loads(SPEC.read_text())
    return operations


def test_every_served_contract_operation_has_its_tag_and_name(openapi: dict[str, Any],
                                                              contract: list[dict[str, str]]) -> None:
    wrong = []
    for op in contract:
        served = openapi["paths"].get(op["path"], {}).get(op["method"].lower())
        if served is None:
            continue
        if served["tags"] != [op["tag"]] or served["summary"] != op["operation"]:
            wrong.append(f"{op['method']} {op['path']}: {served['tags']} {served['summary']!r}, "
                         f"contract says [{op['tag']}] {op['operation']!r}")
    assert not wrong, "\n".join(wrong)


def test_every_operation_of_the_landed_tags_is_served(openapi: dict[str, Any],
                                                      contract: list[dict[str, str]]) -> None:
    missing = [f"{op['method']} {op['path']} ({op['operation']})" for op in contract
               if op["tag"] in IMPLEMENTED_TAGS and (op["tag"], op["operation"]) not in NOT_YET
               and op["method"].lower() not in openapi["paths"].get(op["path"], {})]
    assert not missing, "missing operations:\n" + "\n".join(missing)


def test_docs_page_is_served(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(state_dir=tmp_path, secret_key="x"))) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "tripl"
