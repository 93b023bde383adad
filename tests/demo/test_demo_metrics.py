"""The demo project after its first scan and first metrics collection, on each app database.

Create Demo Project launches the catalog scan (in-process launcher: the real Dagster definitions against the
generated chDB warehouse). It succeeds and finds what the demo planted — the planned events seen (identity
adopted, promoted live), the dead event last seen more than 30 days ago, the unplanned event as a shadow
candidate, the undeclared JSON key as a new_field drift — and creates no duplicate events or variables.

Then the metrics sensor requests the demo config's first collection (the detector's history span, 28 days)
and the `scan_metrics` job runs on the same Dagster instance. Every planted case then answers through HTTP:
the spike and the drop as signals, the release missing one event as a regression, the currency shift as a
significant distribution drift, the coupon key as a new_field drift, the dead event and the shadow event.

One test per database does both: the collection needs the scan first, and a second module scanning the same
demo again would prove nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import SensorResult, build_sensor_context
from sqlalchemy import select

from tests.scans.support import wait_for_scan_job
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_core.demo import DEMO_PLAN, app_events
from tripl_core.demo.app_events import COUPON_KEY, DEAD_EVENT, PURCHASE, SHADOW_EVENT, event_type_of
from tripl_core.demo.warehouse import _schedule
from tripl_core.metrics.models import AnomalySignal, Scope
from tripl_core.observe.models import SchemaDrift, ShadowCandidate
from tripl_core.plan.models import Event, EventType, Variable
from tripl_core.scans.launching import METRICS_JOB
from tripl_core.settings import Settings
from tripl_core.warehouse import Interval, bucket_start
from tripl_pipelines.launcher import InProcessLauncher
from tripl_pipelines.resources import AppDatabase
from tripl_pipelines.sensors import scan_metrics_schedule

D = "/api/v1/projects/demo"

client = launching.client
launcher = launching.launcher


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _first_collection(ws: Workspace, launcher: InProcessLauncher, settings: Settings) -> tuple[dict[str, Any],
                                                                                                 datetime]:
    """Create the demo, wait for its scan and check what it found, then run what the metrics sensor requests;
    (scan, demo end)."""
    before = bucket_start(datetime.now(UTC), Interval.MIN_15)
    created = ws.editor.post(D)
    assert created.status_code == 201, created.text
    [scan] = ws.viewer.get(f"{D}/scans").json()
    [job] = ws.viewer.get(f"{D}/scans/{scan['id']}/jobs").json()
    _check_first_scan(ws, created.json(), wait_for_scan_job(ws.viewer, scan, job["id"], slug="demo", seconds=300))
    with build_sensor_context(instance=launcher.instance, resources={
            "app_db": AppDatabase(database_url=settings.resolved_database_url)}) as context:
        result = scan_metrics_schedule(context)
    assert isinstance(result, SensorResult)
    [request] = result.run_requests or []
    assert request.partition_key == scan["id"]
    ran = launcher.definitions.resolve_job_def(METRICS_JOB).execute_in_process(
        instance=launcher.instance, partition_key=request.partition_key, tags=request.tags,
        run_config=request.run_config)
    assert ran.success
    return scan, before


def _check_first_scan(ws: Workspace, project: dict[str, Any], job: dict[str, Any]) -> None:
    """The first scan succeeded and found what the demo planted, without duplicating the plan."""
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


def test_the_first_scan_and_collection_show_every_planted_case(ws: Workspace, launcher: InProcessLauncher,
                                                       settings: Settings) -> None:
    scan, end = _first_collection(ws, launcher, settings)
    schedule = _schedule(end)
    with ws.db.unit_of_work() as session:
        ids = dict(session.execute(select(Event.name, Event.id)).all())
        signals = session.execute(select(Event.name, AnomalySignal.bucket, AnomalySignal.direction)
                                  .join(Event, Event.id == AnomalySignal.event_id)
                                  .where(AnomalySignal.scope == Scope.event.value)).all()
    found = {(name, bucket.replace(tzinfo=UTC), direction) for name, bucket, direction in signals}
    assert (app_events.SPIKE_EVENT, schedule.spike[0], "spike") in found
    assert (app_events.DROP_EVENT, schedule.drop[0], "drop") in found
    # the same through the series API: the planted buckets are flagged
    for name, (start, _), direction in ((app_events.SPIKE_EVENT, schedule.spike, "spike"),
                                        (app_events.DROP_EVENT, schedule.drop, "drop")):
        series = ws.viewer.get(f"{D}/events/{ids[name]}/metrics", params={
            "from": _iso(start - timedelta(days=1)), "to": _iso(start + timedelta(days=1))}).json()
        assert [(p["bucket"], p["z"] > 0) for p in series["data"] if p["is_anomaly"]] == \
            [(_iso(start), direction == "spike")]

    # the planted silence: one open `silence` signal on its event, listed among the active signals while
    # the event stays silent (however long ago it started)
    silences = [(bucket.replace(tzinfo=UTC), direction) for name, bucket, direction in signals
                if name == app_events.SILENCE_EVENT]
    assert [direction for _, direction in silences] == ["silence"]
    assert schedule.silence[0] <= silences[0][0] < schedule.silence[0] + timedelta(hours=2)
    active = ws.viewer.get(f"{D}/anomalies/signals").json()
    active = active["items"] if isinstance(active, dict) else active
    assert [(s["direction"], s["status"]) for s in active if s["event_id"] == str(ids[app_events.SILENCE_EVENT])] \
        == [("silence", "open")]

    regressions = ws.viewer.get(f"{D}/scans/{scan['id']}/release-regressions").json()["items"]
    assert (app_events.MISSING_EVENT, "missing", "3.4.0") in {(i["event_name"], i["kind"], i["version"])
                                                          for i in regressions}

    purchase = ws.viewer.get(f"{D}/event-types").json()
    purchase_id = next(t["id"] for t in (purchase["items"] if isinstance(purchase, dict) else purchase)
                       if t["name"] == app_events.PURCHASE)
    drifts = ws.viewer.get(f"{D}/distribution-drifts", params={"scope_type": "event_type",
                                                               "scope_ref": purchase_id}).json()["data"]
    currency = {d["window_end"]: d["band"] for d in drifts if d["field"] == "properties.currency"}
    significant = [end for end, band in currency.items() if band == "significant"]
    shift = _iso(schedule.moments.currency_shift)
    assert significant  # the day after the shift compared with the week before it
    assert all(end > shift for end in significant)

    schema_drifts = ws.viewer.get(f"{D}/event-types/{purchase_id}/drifts").json()
    items = schema_drifts["items"] if isinstance(schema_drifts, dict) else schema_drifts
    assert (f"properties.{app_events.COUPON_KEY}", "new_field") in {(d["field_name"], d["drift_type"]) for d in items}
    dead = ws.viewer.get(f"{D}/reconciliation/dead-events").json()
    assert app_events.DEAD_EVENT in str(dead)
    shadows = ws.viewer.get(f"{D}/reconciliation/shadow-events").json()
    assert app_events.SHADOW_EVENT in str(shadows)
