from __future__ import annotations

from typing import Any

import pytest

from tests.plan.support import make_event, make_type, ok, url
from tests.support.workspace import Workspace


def meta(name: str, field_type: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "display_name": name.title(), "field_type": field_type, **extra}


def test_crud_and_values(ws: Workspace) -> None:
    ws.project("shop")
    jira = ok(ws.editor.post(url("shop", "/meta-fields"), json=meta(
        "jira", "url", link_template="https://jira.example.com/browse/${value}")), 201)
    team = ok(ws.editor.post(url("shop", "/meta-fields"), json=meta("team", "enum", enum_options=["a", "b"],
                                                                    default_value="a")), 201)
    assert [m["name"] for m in ok(ws.viewer.get(url("shop", "/meta-fields")))] == ["jira", "team"]
    dup = ws.editor.post(url("shop", "/meta-fields"), json=meta("jira"))
    assert dup.status_code == 409
    assert jira["id"] in dup.json()["detail"]
    updated = ok(ws.editor.patch(url("shop", f"/meta-fields/{team['id']}"), json={"enum_options": ["a", "b", "c"],
                                                                                  "default_value": "c"}))
    assert updated["default_value"] == "c"
    t = make_type(ws.editor, "shop")
    event = make_event(ws.editor, "shop", t["id"], "e", meta_values=[{"meta_field_id": jira["id"], "value": "SHOP-1"}])
    assert event["meta_values"][0]["meta_field_name"] == "jira"
    assert ws.editor.delete(url("shop", f"/meta-fields/{jira['id']}")).status_code == 204
    assert ok(ws.viewer.get(url("shop", f"/events/{event['id']}")))["meta_values"] == []
    assert ws.editor.delete(url("shop", f"/meta-fields/{jira['id']}")).status_code == 404


@pytest.mark.parametrize(("body", "fragment"), [
    (meta("jira", "url", link_template="https://jira/browse/"), "${value}"),
    (meta("team", "enum"), "enum_options"),
    (meta("team", "string", enum_options=["a"]), "enum"),
    (meta("team", "enum", enum_options=["a"], default_value="z"), "default_value"),
    (meta("flag", "boolean", default_value="yes"), "boolean"),
    (meta("since", "date", default_value="yesterday"), "date"),
    (meta("x", "json"), "field_type"),
    (meta("x" * 101), "name"),
])
def test_validation(ws: Workspace, body: dict[str, Any], fragment: str) -> None:
    ws.project("shop")
    response = ws.editor.post(url("shop", "/meta-fields"), json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert ok(ws.viewer.get(url("shop", "/meta-fields"))) == []


def test_update_validates_the_final_state(ws: Workspace) -> None:
    ws.project("shop")
    team = ok(ws.editor.post(url("shop", "/meta-fields"), json=meta("team", "enum", enum_options=["a"])), 201)
    assert ws.editor.patch(url("shop", f"/meta-fields/{team['id']}"), json={"field_type": "string"}).status_code == 422
    ok(ws.editor.patch(url("shop", f"/meta-fields/{team['id']}"), json={"field_type": "string", "enum_options": None}))
