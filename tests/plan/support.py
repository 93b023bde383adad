"""Helpers for plan API tests: URLs and small builders that go through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.support.workspace import Actor

BASE = "/api/v1/projects"


def url(slug: str, path: str = "") -> str:
    return f"{BASE}/{slug}{path}"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def make_type(actor: Actor, slug: str, name: str = "checkout", fields: list[dict[str, Any]] | None = None,
              **extra: Any) -> dict[str, Any]:
    body = {"name": name, "display_name": name.title(), "field_definitions": fields or [], **extra}
    result: dict[str, Any] = ok(actor.post(url(slug, "/event-types"), json=body), 201)
    return result


def field(name: str, field_type: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "display_name": name.title(), "field_type": field_type, **extra}


def make_event(actor: Actor, slug: str, event_type_id: str, name: str, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(actor.post(url(slug, "/events"),
                                           json={"event_type_id": event_type_id, "name": name, **extra}), 201)
    return result
