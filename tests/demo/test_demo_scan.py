"""The demo project's first scan, launched by Create Demo Project and run by the in-process launcher
(the real Dagster definitions against the generated chDB warehouse): it succeeds and finds what the demo
planted — the planned events seen (identity adopted, promoted live), the dead event last seen more than
30 days ago, the unplanned event as a shadow candidate, the undeclared JSON key as a new_field drift —
and creates no duplicate events or variables."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.scans.support import wait_for_scan_job
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_core.demo import DEMO_PLAN
from tripl_core.demo.app_events import COUPON_KEY, DEAD_EVENT, PURCHASE, SHADOW_EVENT, event_type_of
from tripl_core.observe.models import SchemaDrift, ShadowCandidate
from tripl_core.plan.models import Event, EventType, Variable

client = launching.client
launcher = launching.launcher


def first_job(ws: Workspace) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    created = ws.editor.post("/api/v1/projects/demo")
    assert created.status_code == 201, created.text
    [scan] = ws.viewer.get("/api/v1/projects/demo/scans").json()
    [job] = ws.viewer.get(f"/api/v1/projects/demo/scans/{scan['id']}/jobs").json()
    return created.json(), scan, wait_for_scan_job(ws.viewer, scan, job["id"], slug="demo", seconds=180)


def test_the_first_scan_finds_what_the_demo_planted(ws: Workspace) -> None:
    project, _, job = first_job(ws)
    assert job["status"] == "succeeded", job["error_message"]
    summary = job["result_summary"]
    assert summary["events_created"] == 0  # every generated type has planned events: the rest are shadows
    assert summary["rows_read"] > 500_000
    assert summary["shadow_candidates_new"] == 1
    project_id = uuid.UUID(project["id"])

    with ws.db.unit_of_work() as session:
        events = {name: (source, status, seen) for name, source, status, seen in session.execute(
            select(Event.name, Event.source_name, Event.status, Event.last_seen_at)
            .where(Event.project_id == project_id))}
        shadows = session.execute(select(ShadowCandidate.event_type_name, ShadowCandidate.identity,
                                         ShadowCandidate.volume)
                                  .where(ShadowCandidate.project_id == project_id)).all()
        drifts = session.execute(select(EventType.name, SchemaDrift.field_name, SchemaDrift.drift_type,
                                        SchemaDrift.status)
                                 .join(EventType, EventType.id == SchemaDrift.event_type_id)
                                 .where(SchemaDrift.project_id == project_id)).all()
        variables = session.scalars(select(Variable.name).where(Variable.project_id == project_id)).all()

    assert set(events) == {e.name for e in DEMO_PLAN.events}  # nothing duplicated, the shadow not added
    assert all(source == name and status == "live" and seen is not None
               for name, (source, status, seen) in events.items())
    newest = max(seen for _, _, seen in events.values())
    assert newest - events[DEAD_EVENT][2] > timedelta(days=30)  # dead-event detection's look-back
    assert [(t, i) for t, i, _ in shadows] == [(event_type_of(SHADOW_EVENT), SHADOW_EVENT)]
    assert shadows[0][2] > 1_000
    assert (PURCHASE, f"properties.{COUPON_KEY}", "new_field", "open") in drifts
    assert not [d for d in drifts if d[2] == "new_field" and d[1] != f"properties.{COUPON_KEY}"]
    planned_variables = {v.name for v in DEMO_PLAN.variables}
    assert planned_variables <= set(variables)  # the scan bound them by source_name, no `user_id_2`
    assert not {f"{name}_2" for name in planned_variables} & set(variables)
