"""Project search through the API: the index follows plan writes, lexical matching (prefix, typos), semantic
matching once embeddings ran, filters, branches, permissions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.plan.support import field, make_event, make_type, ok, url
from tests.support.workspace import Workspace
from tripl_core.plan.models import Branch, BranchKind, EventType


def search(ws: Workspace, q: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(ws.viewer.get(url("shop", "/search"), params={"q": q, **params}))
    return result


def titles(result: dict[str, Any]) -> list[str]:
    return [item["title"] for item in result["items"]]


def settle(client: TestClient) -> None:
    assert client.app.state.tripl.search.queue.drain(timeout=120)  # type: ignore[attr-defined]


def shop(ws: Workspace) -> dict[str, Any]:
    ws.project("shop")
    ecommerce = make_type(ws.editor, "shop", "ecommerce", [
        field("currency", "enum", enum_options=["USD", "EUR", "GBP"], description="ISO currency of the amount"),
        field("amount", "number", description="Order total")])
    make_event(ws.editor, "shop", ecommerce["id"], "purchase", description="A customer completed an order and paid")
    make_event(ws.editor, "shop", ecommerce["id"], "add_to_cart", description="A product was put in the cart",
               tags=["funnel"])
    make_event(ws.editor, "shop", ecommerce["id"], "checkout_started", description="The checkout page opened")
    make_event(ws.editor, "shop", ecommerce["id"], "legacy_purchase", status="archived")
    return ecommerce


def test_plan_writes_are_searchable_at_once_and_items_have_the_reference_shape(ws: Workspace) -> None:
    ecommerce = shop(ws)
    result = search(ws, "purchase")
    first = result["items"][0]
    assert set(first) == {"type", "id", "title", "snippet", "score", "event_type_id", "event_id"}
    assert (first["type"], first["title"], first["event_type_id"]) == ("event", "purchase", ecommerce["id"])
    assert first["event_id"] == first["id"]
    assert "legacy_purchase" not in titles(result)  # archived
    assert result["total"] == len(result["items"])
    assert "legacy_purchase" in titles(search(ws, "purchase", include_archived="true"))

    purchase = first["id"]
    ok(ws.editor.patch(url("shop", f"/events/{purchase}"), json={"name": "order_completed"}))
    assert "order_completed" in titles(search(ws, "order completed"))
    assert "purchase" not in titles(search(ws, "purchase"))
    assert ws.editor.delete(url("shop", f"/events/{purchase}")).status_code == 204
    assert "order_completed" not in titles(search(ws, "order completed"))


def test_prefixes_typos_field_names_enum_values_and_type_filter(ws: Workspace) -> None:
    shop(ws)
    assert titles(search(ws, "checkou"))[0] == "checkout_started"  # a prefix
    assert titles(search(ws, "purchse"))[0] == "purchase"  # a typo
    assert titles(search(ws, "chekout started"))[0] == "checkout_started"
    currency = search(ws, "currency")["items"][0]
    assert (currency["type"], currency["title"]) == ("field", "currency")
    assert search(ws, "EUR")["items"][0]["title"] == "currency"  # an enum option
    only_fields = search(ws, "currency amount", types=["field"])
    assert {i["type"] for i in only_fields["items"]} == {"field"}
    assert titles(search(ws, "addToCart"))[0] == "add_to_cart"
    assert search(ws, "zzzzqqqq")["items"] == [] or search(ws, "zzzzqqqq")["semantic_used"]


def test_embeddings_follow_commits_and_find_other_wordings(ws: Workspace, client: TestClient) -> None:
    shop(ws)
    settle(client)
    result = search(ws, "buy")
    assert result["semantic_used"] is True
    assert "purchase" in titles(result)[:3]


def test_hybrid_puts_an_exact_name_first(ws: Workspace, client: TestClient) -> None:
    shop(ws)
    settle(client)
    for name in ("purchase", "add_to_cart", "checkout_started", "currency", "ecommerce"):
        assert titles(search(ws, name))[0].lower() == name, name


def test_a_misspelt_name_finds_its_row_first_even_before_the_row_is_embedded(
        ws: Workspace, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ecommerce = shop(ws)
    make_event(ws.editor, "shop", ecommerce["id"], "refund_requested", description="The customer asked for a refund")
    settle(client)
    # Later writes stay unembedded: the semantic side ranks only the rows embedded before.
    monkeypatch.setattr(client.app.state.tripl.search.queue, "schedule", lambda branch_ids: None)  # type: ignore[attr-defined]
    make_event(ws.editor, "shop", ecommerce["id"], "refund", description="Money went back to the customer")
    result = search(ws, "refnud")
    assert result["semantic_used"] is True
    assert titles(result)[:2] == ["refund", "refund_requested"]


def test_reindex_rebuilds_a_branch_and_search_reads_the_branch_asked_for(ws: Workspace,
                                                                          client: TestClient) -> None:
    shop(ws)
    with ws.db.unit_of_work() as session:  # a working branch written outside this app's sessions
        main = session.query(Branch).filter(Branch.kind == BranchKind.main.value).one()
        branch = Branch(project_id=main.project_id, name="experiment", kind=BranchKind.working.value)
        session.add(branch)
        session.flush()
        session.add(EventType(project_id=main.project_id, branch_id=branch.id, name="subscription",
                              display_name="Subscription", description="Recurring plans"))
        branch_id = str(branch.id)
    assert search(ws, "subscription", branch=branch_id)["items"] == []
    assert ws.viewer.post(url("shop", "/search/reindex"), params={"branch": branch_id}).status_code == 403
    reindexed = ok(ws.editor.post(url("shop", "/search/reindex"), params={"branch": branch_id}))
    assert reindexed == {"documents_indexed": 1, "embeddings_scheduled": True}
    assert titles(search(ws, "subscription", branch=branch_id)) == ["Subscription"]
    assert "Subscription" not in titles(search(ws, "subscription"))
    main_count = ok(ws.editor.post(url("shop", "/search/reindex")))["documents_indexed"]
    assert main_count == 1 + 2 + 4  # the type, its two fields, four events


def test_bad_queries_are_refused(ws: Workspace) -> None:
    shop(ws)
    assert ws.viewer.get(url("shop", "/search"), params={"q": ""}).status_code == 422
    assert ws.viewer.get(url("shop", "/search"), params={"q": "x" * 501}).status_code == 422
    assert ws.viewer.get(url("shop", "/search"), params={"q": "a", "types": ["nope"]}).status_code == 422
    assert ws.viewer.get(url("shop", "/search"), params={"q": "a", "limit": 0}).status_code == 422
    assert ws.viewer.get(url("shop", "/search"), params={"q": "a", "branch": str(uuid.uuid4())}).status_code == 404
    assert ws.anonymous.get(url("shop", "/search"), params={"q": "a"}).status_code == 401
    # Query syntax of either engine is plain text here.
    for q in ('"', "a OR", "NEAR(", "*", "a:*", "!&|", "'; drop"):
        ok(ws.viewer.get(url("shop", "/search"), params={"q": q}))
