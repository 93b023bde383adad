"""Every plan route x every kind of caller: anonymous 401; viewer and read keys may read but not write
(403); a key bound to another project gets 404; editors and write keys succeed."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.plan.support import field
from tests.support.workspace import Actor, Workspace
from tripl_api.main import create_app
from tripl_core.access.models import User
from tripl_core.access.principal import Principal
from tripl_core.observe.models import SchemaDrift
from tripl_core.plan import branch_scope, event_types, events, meta_fields, owners, projects, relations, variables
from tripl_core.plan.event_schemas import EventCreate
from tripl_core.plan.meta_field_schemas import MetaFieldCreate
from tripl_core.plan.models import FieldDefinition
from tripl_core.plan.relation_schemas import RelationCreate
from tripl_core.plan.type_schemas import EventTypeCreate
from tripl_core.plan.variable_schemas import VariableCreate

pytestmark = pytest.mark.engine_independent

PLAN_TAGS = {"events", "event-types", "event-type-owners", "fields", "meta-fields", "variables", "relations"}
_n = itertools.count()
Params = dict[str, str]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    success: int
    body: Callable[[Params], Any] | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"


def fresh(ws: Workspace) -> Params:
    """A small plan of its own in project `shop`, made by the owner, for one caller to act on. Written through
    the plan services in one unit of work (what the create routes call), not eight requests: the test makes
    one for every successful write, and what it checks is the routes' answers to each caller, not set-up."""
    n = next(_n)
    assert ws.owner.user is not None
    assert ws.editor.user is not None
    assert ws.viewer.user is not None
    with ws.db.unit_of_work() as session:
        owner = Principal(user=session.get_one(User, ws.owner.user.id))
        scope = branch_scope.resolve(session, projects.get_by_slug(session, "shop"), None, write=True)
        t = event_types.create(session, owner, scope, EventTypeCreate.model_validate(
            {"name": f"type{n}", "field_definitions": [field("a"), field("b")]}))
        by_name = dict(session.execute(select(FieldDefinition.name, FieldDefinition.id)
                                       .where(FieldDefinition.event_type_id == t.id)).all())
        a, b = by_name["a"], by_name["b"]
        made = events.create_many(session, owner, scope, [
            EventCreate(event_type_id=t.id, name=f"e{n}_{i}") for i in range(2)], bulk=True)
        meta = meta_fields.create(session, owner, scope, MetaFieldCreate.model_validate(
            {"name": f"meta{n}", "display_name": "M", "field_type": "string"}))
        variable = variables.create(session, owner, scope, VariableCreate(name=f"var{n}"))
        relation = relations.create(session, owner, scope, RelationCreate(
            source_event_type_id=t.id, target_event_type_id=t.id, source_field_id=a, target_field_id=b))
        type_owner = owners.add(session, owner, scope, t, ws.viewer.user.id)
        drift = SchemaDrift(project_id=t.project_id, event_type_id=t.id, field_name="x",  # raised by scans only
                            drift_type="new_field")
        session.add(drift)
        session.flush()
        return {"drift": str(drift.id), "n": str(n), "type": str(t.id), "field": str(a), "field_b": str(b),
                  "event": str(made[0].id), "event2": str(made[1].id), "meta": str(meta.id),
                  "variable": str(variable.id), "relation": str(relation.id), "owner": str(type_owner.id),
                  "editor_user": str(ws.editor.user.id)}


P = "/api/v1/projects/{slug}"
T = P + "/event-types/{type}"
CASES: dict[str, Case] = {
    "list_events": Case("GET", P + "/events", 200),
    "create_event": Case("POST", P + "/events", 201, lambda p: {"event_type_id": p["type"], "name": "new"}),
    "list_tags": Case("GET", P + "/events/tags", 200),
    "get_event_by_name": Case("GET", P + "/events/by-name?name=e{n}_0", 200),
    "bulk_create_events": Case("POST", P + "/events/bulk", 201,
                               lambda p: [{"event_type_id": p["type"], "name": "bulk"}]),
    "bulk_delete_events": Case("POST", P + "/events/bulk-delete", 204, lambda p: {"event_ids": [p["event"]]}),
    "bulk_update_events": Case("POST", P + "/events/bulk-update", 200,
                               lambda p: {"event_ids": [p["event"]], "reviewed": True}),
    "bulk_update_event_tags": Case("POST", P + "/events/bulk-update-tags", 200,
                                   lambda p: {"ids": [p["event"]], "action": "add", "tags": ["t"]}),
    "reorder_events": Case("PATCH", P + "/events/reorder", 200,
                           lambda p: {"event_ids": [p["event2"], p["event"]]}),
    "get_event": Case("GET", P + "/events/{event}", 200),
    "update_event": Case("PATCH", P + "/events/{event}", 200, lambda p: {"description": "d"}),
    "delete_event": Case("DELETE", P + "/events/{event}", 204),
    "get_event_history": Case("GET", P + "/events/{event}/history", 200),
    "move_event": Case("PATCH", P + "/events/{event}/move", 200, lambda p: {"direction": "down"}),
    "list_event_types": Case("GET", P + "/event-types", 200),
    "create_event_type": Case("POST", P + "/event-types", 201, lambda p: {"name": f"created{p['n']}"}),
    "get_event_type": Case("GET", T, 200),
    "update_event_type": Case("PATCH", T, 200, lambda p: {"color": "#000000"}),
    "delete_event_type": Case("DELETE", T, 204),
    "list_event_type_drifts": Case("GET", T + "/drifts", 200),
    "apply_schema_drift_action": Case("POST", P + "/event-types/drifts/{drift}/actions", 200,
                                      lambda p: {"action": "reopen"}),
    "list_owners": Case("GET", T + "/owners", 200),
    "add_owner": Case("POST", T + "/owners", 201, lambda p: {"user_id": p["editor_user"]}),
    "remove_owner": Case("DELETE", T + "/owners/{owner}", 204),
    "list_fields": Case("GET", T + "/fields", 200),
    "create_field": Case("POST", T + "/fields", 201, lambda p: field("c")),
    "bulk_create_fields": Case("POST", T + "/fields/bulk", 201, lambda p: {"fields": [field("c"), field("d")]}),
    "reorder_fields": Case("PATCH", T + "/fields/reorder", 200, lambda p: {"field_ids": [p["field_b"], p["field"]]}),
    "update_field": Case("PATCH", T + "/fields/{field}", 200, lambda p: {"description": "d"}),
    "delete_field": Case("DELETE", T + "/fields/{field}", 204),
    "list_meta_fields": Case("GET", P + "/meta-fields", 200),
    "create_meta_field": Case("POST", P + "/meta-fields", 201,
                              lambda p: {"name": f"m{p['n']}", "display_name": "M", "field_type": "url"}),
    "update_meta_field": Case("PATCH", P + "/meta-fields/{meta}", 200, lambda p: {"is_required": True}),
    "delete_meta_field": Case("DELETE", P + "/meta-fields/{meta}", 204),
    "list_variables": Case("GET", P + "/variables", 200),
    "create_variable": Case("POST", P + "/variables", 201, lambda p: {"name": f"v{p['n']}"}),
    "list_variable_values": Case("GET", P + "/variables/{variable}/values", 200),
    "update_variable": Case("PATCH", P + "/variables/{variable}", 200, lambda p: {"name": f"renamed{p['n']}"}),
    "delete_variable": Case("DELETE", P + "/variables/{variable}", 204),
    "list_relations": Case("GET", P + "/relations", 200),
    "create_relation": Case("POST", P + "/relations", 201, lambda p: {
        "source_event_type_id": p["type"], "target_event_type_id": p["type"], "source_field_id": p["field_b"],
        "target_field_id": p["field"]}),
    "delete_relation": Case("DELETE", P + "/relations/{relation}", 204),
}


def expected(case: Case, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if caller == "bound_key":
        return 404
    if case.writes and caller in {"viewer", "read_key"}:
        return 403
    return case.success


def test_every_plan_route_has_a_case(tmp_path: Path) -> None:
    """The routes come from the app's OpenAPI document, which no database is read for: made once, not per
    engine (the app is never started, so the database file is never created)."""
    spec = create_app(make_settings(f"sqlite+pysqlite:///{tmp_path / 'unused.db'}", tmp_path / "state")).openapi()
    routes = {operation["summary"].lower().replace(" ", "_") for methods in spec["paths"].values()
              for operation in methods.values() if operation["tags"][0] in PLAN_TAGS}
    assert routes == set(CASES)


def test_plan_permissions(ws: Workspace) -> None:
    ws.project("shop")
    ws.project("other", "Other")
    callers: dict[str, Actor] = {
        "anonymous": ws.anonymous, "viewer": ws.viewer, "read_key": ws.key(ws.viewer, "read"),
        "bound_key": ws.key(ws.editor, "write", project_slug="other"), "editor": ws.editor,
        "write_key": ws.key(ws.editor, "write"),
    }
    shared = fresh(ws)
    failures: list[str] = []
    for name, case in CASES.items():
        for caller, actor in callers.items():
            status = expected(case, caller)
            params = fresh(ws) if case.writes and status < 400 else shared
            path = case.path.format(slug="shop", **params)
            response = actor.request(case.method, path, json=case.body(params) if case.body else None)
            if response.status_code != status:
                failures.append(f"{name} as {caller}: expected {status}, got {response.status_code} {response.text}")
    assert not failures, "\n".join(failures)
