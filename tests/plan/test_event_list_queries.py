"""The number of SQL statements per List Events request does not grow with the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.plan.support import field, make_type, ok, url
from tests.support.workspace import Workspace


@contextmanager
def counted_statements(ws: Workspace) -> Iterator[list[str]]:
    db = ws.client.app.state.tripl.db  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The service settings are re-read once their short cache expires, whichever request that falls on.
        if "service_setting_overrides" not in statement:
            statements.append(statement)

    engines = {id(e): e for e in (db.engine, db.read_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def test_list_statements_do_not_grow_with_page_size(ws: Workspace) -> None:
    ws.project("shop")
    t = make_type(ws.editor, "shop", "page", [field("path"), field("step", "number")])
    meta = ok(ws.editor.post(url("shop", "/meta-fields"),
                             json={"name": "team", "display_name": "Team", "field_type": "string"}), 201)
    path, step = (f["id"] for f in t["field_definitions"])
    items = [{"event_type_id": t["id"], "name": f"event_{i}", "tags": ["a", f"t{i % 3}"],
              "field_values": [{"field_id": path, "value": f"/p/{i}/${{user_id}}"}, {"field_id": step, "value": "1"}],
              "meta_values": [{"meta_field_id": meta["id"], "value": "growth"}]} for i in range(210)]
    ok(ws.editor.post(url("shop", "/events/bulk"), json=items), 201)
    # The search index embeds new documents on a background thread after commit; let it finish first.
    assert ws.client.app.state.tripl.search.queue.drain()  # type: ignore[attr-defined]

    def statements_for(limit: int) -> int:
        with counted_statements(ws) as statements:
            body = ok(ws.viewer.get(url("shop", f"/events?limit={limit}&tag=a&field_value=%2Fp%2F")))
        assert len(body["items"]) == limit
        assert all(len(e["field_values"]) == 2 and e["tags"] for e in body["items"])
        return len(statements)

    small, large = statements_for(5), statements_for(200)
    assert small == large, (small, large)
    assert large <= 15
