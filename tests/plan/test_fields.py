from __future__ import annotations

from typing import Any

import pytest

from tests.plan.support import field, make_event, make_type, ok, url
from tests.support.workspace import Workspace


def _fields_url(t: dict[str, Any], path: str = "") -> str:
    return url("shop", f"/event-types/{t['id']}/fields{path}")


@pytest.mark.parametrize(("body", "fragment"), [
    (field("kind", "enum"), "enum_options"),
    (field("kind", "enum", enum_options=[]), "enum_options"),
    (field("kind", "enum", enum_options=["a", "a"]), "twice"),
    (field("kind", "string", enum_options=["a"]), "enum"),
    (field("code", "string", contract_regex="(unclosed"), "compile"),
    (field("code", "number", contract_regex="^a$"), "string and url"),
    (field("n", "number", contract_min_value=5, contract_max_value=1), "greater"),
    (field("n", "string", contract_min_value=1), "number fields"),
    (field("n", "number", contract_max_bad_rate=1.5), "contract_max_bad_rate"),
    (field("n", "number", contract_required_max_null_rate=-0.1), "contract_required_max_null_rate"),
    (field("n", "decimal"), "field_type"),
    (field("n", "string", sensitivity="top"), "sensitivity"),
])
def test_type_specific_validation(ws: Workspace, body: dict[str, Any], fragment: str) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop")
    response = ws.editor.post(_fields_url(t), json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert ok(ws.viewer.get(_fields_url(t))) == []


def test_non_finite_numbers_are_refused(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop")
    response = ws.editor.post(_fields_url(t), content='{"name": "n", "display_name": "N", "field_type": "number", '
                                                      '"contract_min_value": NaN}',
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_create_update_and_contracts(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop")
    created = ok(ws.editor.post(_fields_url(t), json=field(
        "amount", "number", is_required=True, contract_min_value=0, contract_max_value=100,
        contract_required_max_null_rate=0.1, contract_max_bad_rate=0.05, sensitivity="financial")), 201)
    assert (created["contract_min_value"], created["contract_max_value"]) == (0, 100)
    assert created["sensitivity"] == "financial"
    dup = ws.editor.post(_fields_url(t), json=field("amount"))
    assert dup.status_code == 409
    assert created["id"] in dup.json()["detail"]
    to_string = ws.editor.patch(_fields_url(t, f"/{created['id']}"), json={"field_type": "string"})
    assert to_string.status_code == 422
    assert "number" in to_string.json()["detail"]
    retyped = ok(ws.editor.patch(_fields_url(t, f"/{created['id']}"), json={
        "field_type": "string", "contract_min_value": None, "contract_max_value": None,
        "contract_regex": "^[0-9]+$"}))
    assert (retyped["field_type"], retyped["contract_regex"], retyped["contract_min_value"]) == (
        "string", "^[0-9]+$", None)
    bad_max = ws.editor.patch(_fields_url(t, f"/{created['id']}"), json={"contract_max_bad_rate": 2})
    assert bad_max.status_code == 422


def test_bulk_create_names_the_failing_field_and_reorder(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop")
    bad = ws.editor.post(_fields_url(t, "/bulk"), json={"fields": [field("a"), field("b", "enum"), field("c")]})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("Field 2 of 3")
    assert ws.editor.post(_fields_url(t, "/bulk"), json={"fields": []}).status_code == 422
    assert ok(ws.viewer.get(_fields_url(t))) == []
    created = ok(ws.editor.post(_fields_url(t, "/bulk"), json={"fields": [field("a"), field("b"), field("c")]}), 201)
    assert [f["order"] for f in created] == [0, 1, 2]
    ids = [f["id"] for f in created]
    reordered = ok(ws.editor.patch(_fields_url(t, "/reorder"), json={"field_ids": ids[::-1]}))
    assert [f["name"] for f in reordered] == ["c", "b", "a"]
    assert [f["name"] for f in ok(ws.viewer.get(_fields_url(t)))] == ["c", "b", "a"]
    partial = ws.editor.patch(_fields_url(t, "/reorder"), json={"field_ids": ids[:2]})
    assert partial.status_code == 422
    assert "c" in partial.json()["detail"]


def test_delete_removes_values_and_relations(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "a", [field("x"), field("y")])
    x, y = (f["id"] for f in t["field_definitions"])
    event = make_event(ws.editor, "shop", t["id"], "e", field_values=[{"field_id": x, "value": "1"},
                                                                     {"field_id": y, "value": "2"}])
    ok(ws.editor.post(url("shop", "/relations"), json={"source_event_type_id": t["id"], "target_event_type_id": t["id"],
                                                       "source_field_id": x, "target_field_id": y}), 201)
    assert ws.editor.delete(_fields_url(t, f"/{x}")).status_code == 204
    got = ok(ws.viewer.get(url("shop", f"/events/{event['id']}")))
    assert [v["field_name"] for v in got["field_values"]] == ["y"]
    assert ok(ws.viewer.get(url("shop", "/relations"))) == []
    assert ws.editor.delete(_fields_url(t, f"/{x}")).status_code == 404
    other = make_type(ws.editor, "shop", "b")
    assert ws.editor.delete(url("shop", f"/event-types/{other['id']}/fields/{y}")).status_code == 404
