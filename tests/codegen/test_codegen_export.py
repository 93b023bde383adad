"""Codegen, JSON Schema export and payload validation through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from tests.codegen.plans import awkward_snapshot, demo_snapshot
from tests.codegen.support import write_awkward_plan
from tests.support.workspace import Workspace
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.codegen.generate import Language, generate
from tripl_core.codegen.schemas import MAX_PAYLOADS
from tripl_core.demo.plan_writer import write_demo_plan
from tripl_core.plan import branch_scope, projects

BASE = "/api/v1/projects/awkward"

ACCEPTED: list[dict[str, Any]] = [
    {"event": "sign up", "properties": {"user id": "u12", "1st_place": True}},
    {"event": "sign up", "properties": {"user id": "u1", "1st_place": False, "class": None,
                                        "properties": {"ab": {"variant": "ü"}, "load ms": 0}}},
    {"event": "3d.model/class", "properties": {"func": 1.5, "interface": "export",
                                               "payload": {"kind": "b", "anything": [1]}}},
    {"event": "ПОКУПКА", "properties": {"func": -3, "interface": "import", "def": {"a": 1}, "ключ": "v"}},
    {"event": "class/class", "properties": {"None": False, "Ärger 購入": "x y"}, "timestamp": "2026-01-01"},
]
REFUSED: list[tuple[dict[str, Any], set[str]]] = [
    ({"event": "sign in", "properties": {}}, {"unknown_event"}),
    ({"event": "class", "properties": {"None": True}}, {"unknown_event"}),  # two types hold it: qualify it
    ({"event": "sign up", "properties": {"user id": "u1"}}, {"missing_field"}),
    ({"event": "sign up", "properties": {"user id": "u1", "1st_place": True, "colour": "red"}}, {"unknown_field"}),
    ({"event": "sign up", "properties": {"user id": "u1", "1st_place": "yes"}}, {"wrong_type"}),
    ({"event": "sign up", "properties": {"user id": "x1", "1st_place": True}}, {"regex_violation"}),
    ({"event": "sign up", "properties": {"user id": "u1", "1st_place": True,
                                         "properties": {"load ms": 60001}}}, {"range_violation"}),
    ({"event": "sign up", "properties": {"user id": "u1", "1st_place": True,
                                         "properties": {"ab": {"variant": "Control"}}}}, {"enum_violation"}),
    ({"event": "sign up", "properties": {"user id": "u1", "1st_place": True,
                                         "properties": {"ab": "control"}}}, {"wrong_type"}),
    ({"event": "delete", "properties": {"None": None}}, {"missing_field"}),
    ({"event": "ПОКУПКА", "properties": {"func": True, "interface": "import"}}, {"wrong_type"}),
    ({"event": "ПОКУПКА", "properties": {"func": 1, "interface": "import", "def": "{}"}}, {"wrong_type"}),
    ({"event": "delete"}, {"missing_field"}),
]


@pytest.fixture
def awkward(ws: Workspace) -> Workspace:
    write_awkward_plan(ws)
    return ws


@pytest.mark.parametrize("language", list(Language))
def test_codegen_serves_the_generated_file(awkward: Workspace, language: Language) -> None:
    response = awkward.viewer.get(f"{BASE}/codegen/{language.value}")
    assert response.status_code == 200, response.text
    # The plan read from the database is the plan the compile tests generate from, byte for byte.
    assert response.text == generate(awkward_snapshot(), language)
    assert response.headers["etag"] == f'"{awkward_snapshot().plan_hash}"'
    assert "attachment" in response.headers["content-disposition"]


def test_codegen_follows_the_plan_and_refuses_unknown_languages(awkward: Workspace) -> None:
    before = awkward.viewer.get(f"{BASE}/codegen/typescript").text
    assert awkward.viewer.get(f"{BASE}/codegen/typescript").text == before
    types = awkward.viewer.get(f"{BASE}/event-types").json()
    created = awkward.editor.post(f"{BASE}/events", json={"event_type_id": types[0]["id"], "name": "brand new"})
    assert created.status_code == 201, created.text
    after = awkward.viewer.get(f"{BASE}/codegen/typescript").text
    assert '"brand new"' in after
    assert after.splitlines()[2] != before.splitlines()[2]
    assert awkward.viewer.get(f"{BASE}/codegen/cobol").status_code == 422
    assert awkward.anonymous.get(f"{BASE}/codegen/go").status_code == 401
    assert awkward.viewer.get("/api/v1/projects/nope/codegen/go").status_code == 404


def test_json_schema_and_validate_events_agree(awkward: Workspace) -> None:
    exported = awkward.viewer.get(f"{BASE}/export/json-schema")
    assert exported.status_code == 200, exported.text
    schema = exported.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    payloads = ACCEPTED + [payload for payload, _ in REFUSED]
    key = awkward.key(awkward.viewer, scope="read")  # a query: read keys may POST it
    response = key.post(f"{BASE}/validate-events", json={"events": payloads})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["valid_count"], report["invalid_count"]) == (len(ACCEPTED), len(REFUSED))
    for item, payload in zip(report["items"], payloads, strict=True):
        assert item["valid"] == validator.is_valid(payload), (payload, item)
    for item, (_, kinds) in zip(report["items"][len(ACCEPTED):], REFUSED, strict=True):
        assert {v["kind"] for v in item["violations"]} == kinds, item
        assert all(v["message"] for v in item["violations"])
    first_refused = report["items"][len(ACCEPTED) + 2]
    assert first_refused["violations"] == [{"field": "1st_place", "kind": "missing_field",
                                            "message": "1st_place: required and missing"}]


def test_validate_events_is_bounded_and_changes_nothing(awkward: Workspace) -> None:
    audit_before = awkward.owner.get("/api/v1/audit").json()["total"]
    too_many = {"events": [{"event": "delete", "properties": {"None": True}}] * (MAX_PAYLOADS + 1)}
    refused = awkward.viewer.post(f"{BASE}/validate-events", json=too_many)
    assert refused.status_code == 422
    assert str(MAX_PAYLOADS) in refused.text
    assert awkward.viewer.post(f"{BASE}/validate-events", json={"events": {"event": "delete"}}).status_code == 422
    malformed = awkward.viewer.post(f"{BASE}/validate-events", json={"events": [{"properties": {}}, 3]}).json()
    assert [item["violations"][0]["kind"] for item in malformed["items"]] == ["wrong_type", "wrong_type"]
    ok = awkward.viewer.post(f"{BASE}/validate-events", json={"events": []})
    assert ok.json() == {"items": [], "valid_count": 0, "invalid_count": 0}
    assert awkward.owner.get("/api/v1/audit").json()["total"] == audit_before  # a query, not a change


def test_the_demo_plan_read_back_is_the_one_the_compile_tests_use(ws: Workspace) -> None:
    ws.project("demo", "Demo shop")
    with ws.db.unit_of_work() as session:
        owner = session.get(User, ws.owner.user.id if ws.owner.user else None)
        assert owner is not None
        project = projects.get_by_slug(session, "demo")
        write_demo_plan(session, Principal(owner), branch_scope.resolve(session, project, None, write=True))
    served = ws.viewer.get("/api/v1/projects/demo/codegen/go")
    assert served.text == generate(demo_snapshot(), Language.go)
