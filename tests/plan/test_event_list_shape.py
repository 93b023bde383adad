"""List Events serialises its page without a second validation pass; its items must still be exactly the
documented `EventOut`, identical to what Get Event answers for the same event."""

from __future__ import annotations

from pydantic import TypeAdapter

from tests.support.workspace import Workspace
from tripl_core.pagination import Page
from tripl_core.plan.event_schemas import EventOut


def test_list_items_are_valid_event_out_and_match_get_event(ws: Workspace) -> None:
    ws.project("shop")
    base = "/api/v1/projects/shop"
    ws.editor.post(f"{base}/variables", json={"name": "screen"})
    meta = ws.editor.post(f"{base}/meta-fields", json={"name": "team", "display_name": "Team", "field_type": "string"})
    assert meta.status_code == 201, meta.text
    event_type = ws.editor.post(f"{base}/event-types", json={"name": "click", "field_definitions": [
        {"name": "button", "display_name": "Button", "field_type": "string"},
        {"name": "price", "display_name": "Price", "field_type": "number"}]}).json()
    meta_field = ws.editor.get(f"{base}/meta-fields").json()[0]
    fields = event_type["field_definitions"]
    created = ws.editor.post(f"{base}/events", json={
        "event_type_id": event_type["id"], "name": "buy", "tags": ["Checkout", "web"],
        "field_values": [{"field_id": fields[0]["id"], "value": "${screen}:${unknown}"},
                         {"field_id": fields[1]["id"], "value": "42"}],
        "meta_values": [{"meta_field_id": meta_field["id"], "value": "growth"}]})
    assert created.status_code == 201, created.text

    page = ws.viewer.get(f"{base}/events").json()
    TypeAdapter(Page[EventOut]).validate_python(page)
    listed = page["items"][0]
    assert listed == ws.viewer.get(f"{base}/events/{listed['id']}").json()
    assert listed["field_values"][0]["field_id"] == fields[0]["id"]
    assert listed["meta_values"][0]["meta_field_id"] == meta_field["id"]
    assert listed["created_at"].endswith("Z")
    assert listed["warnings"]
