"""What a fan-out considers, and what it reads to decide.

A config's first metrics collection scores the detector's whole history span (~28 days): its fan-out
sends the signals of the last 7 days of that window (the demo's planted cases sit 1 to 5 days back) and
never older history; a steady-state collection sends the active span only. The rules' past deliveries are
read bounded by the candidates: a rule with thousands of delivered items does not have them all read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from dagster import MaterializeResult, build_asset_context
from sqlalchemy import event

from tests.alerting.support import Clock, Seed, add_signal, destination, rule, seed, sender
from tests.support.receivers import HttpReceiver, http_receiver
from tests.support.workspace import Workspace
from tripl_core.alerting.candidates import Collection
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.models import AlertDelivery, AlertDeliveryItem
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.settings import Settings
from tripl_pipelines.assets.alerts import alert_fanout
from tripl_pipelines.config import MetricsWindow
from tripl_pipelines.resources import AlertOutbound, AppDatabase, AppSecrets

HISTORY = timedelta(days=28)


def _buckets(receiver: HttpReceiver) -> list[datetime]:
    return sorted(datetime.fromisoformat(item["bucket"]) for request in receiver.delivered
                  for item in request.json()["items"])


def _resources(settings: Settings) -> dict[str, Any]:
    return {"app_db": AppDatabase(database_url=settings.resolved_database_url),
            "app_secrets": AppSecrets(secret_key=settings.resolved_secret_key),
            "alert_outbound": AlertOutbound(allow_private_webhooks=True)}


def _signals_back(ws: Workspace, s: Seed, now: datetime, *ages: timedelta) -> None:
    """One signal per age, each of its own scope (the rules' cooldown runs per scope)."""
    for age, name in zip(ages, ["view", "click", None, "view", "click"], strict=False):
        add_signal(ws.db, s, event=name, bucket=now - age)


def test_first_collection_sends_its_last_week_never_older_history(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    _signals_back(ws, s, now, timedelta(days=3, hours=5), timedelta(days=1, hours=6), timedelta(hours=2),
                  timedelta(days=20), timedelta(days=8))
    with http_receiver() as receiver:
        rule(ws, destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})["id"])
        window = MetricsWindow(time_from=(now - HISTORY).isoformat(), time_to=now.isoformat())
        with build_asset_context(partition_key=str(s.scan_id), resources=_resources(settings)) as context:
            result = alert_fanout(context, config=window)
    assert isinstance(result, MaterializeResult)
    assert result.metadata is not None
    assert result.metadata["alert_candidates"] == 3
    assert _buckets(receiver) == [now - timedelta(days=3, hours=5), now - timedelta(days=1, hours=6),
                                  now - timedelta(hours=2)]


def test_steady_state_collection_sends_the_active_span_only(ws: Workspace, settings: Settings) -> None:
    """A rule made after the first collection is not sent last week's signals by the next 1-hour run."""
    s = seed(ws)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    _signals_back(ws, s, now, timedelta(days=3), timedelta(hours=30), timedelta(hours=20))
    with http_receiver() as receiver:
        rule(ws, destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})["id"])
        fan_out(ws.db, s.scan_id, sender(settings, Clock(now)),
                collection=Collection(now - timedelta(hours=1), now))
        assert _buckets(receiver) == [now - timedelta(hours=20)]
        # a run after two days of downtime catches up on what it collected, no further back
        fan_out(ws.db, s.scan_id, sender(settings, Clock(now)),
                collection=Collection(now - timedelta(hours=31), now))
        assert _buckets(receiver) == [now - timedelta(hours=30), now - timedelta(hours=20)]


@contextmanager
def item_reads(db: Database) -> Iterator[list[int]]:
    """Rows each SELECT on alert_delivery_items returns during the block (each statement run again, with
    its parameters, on another connection of the same database)."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith("SELECT") and "alert_delivery_items" in statement:
            statements.append((statement, parameters))

    counts: list[int] = []
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield counts
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.read_engine.connect() as connection:
        counts += [len(connection.exec_driver_sql(statement, parameters).fetchall())
                   for statement, parameters in statements]


def _history(db: Database, s: Seed, rule_id: uuid.UUID, destination_id: uuid.UUID, count: int,
             at: datetime) -> None:
    """`count` items the rule delivered before, each of its own scope, all within its cooldown."""
    with db.unit_of_work() as session:
        delivery = AlertDelivery(project_id=s.project_id, scan_config_id=s.scan_id, destination_id=destination_id,
                                 rule_id=rule_id, destination_name="d", rule_name="r", channel="webhook",
                                 status="sent", matched_count=count, created_at=at)
        session.add(delivery)
        session.flush()
        session.add_all([AlertDeliveryItem(delivery_id=delivery.id, rule_id=rule_id, source_kind="signal",
                                           source_id=str(uuid.uuid4()), scope="event", scope_ref=f"old-{index}",
                                           details={}, created_at=at) for index in range(count)])


def test_delivered_and_cooldown_reads_are_bounded_by_the_candidates(ws: Workspace, settings: Settings) -> None:
    s = seed(ws)
    clock = Clock(utcnow())
    with http_receiver() as receiver:
        dest = destination(ws, {"type": "webhook", "target_url": receiver.url + "/hook"})
        made = rule(ws, dest["id"], cooldown_minutes=600)
        _history(ws.db, s, uuid.UUID(made["id"]), uuid.UUID(dest["id"]), 3000, clock.now - timedelta(hours=1))
        add_signal(ws.db, s, event="view", bucket=clock.now - timedelta(hours=3))
        with item_reads(ws.db) as counts:
            first = fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert counts
        assert max(counts) <= 1  # not the 3,000 delivered items of the rule
        assert first.summary()["deliveries_sent"] == 1
        clock.advance(timedelta(minutes=30))
        add_signal(ws.db, s, event="view", bucket=clock.now - timedelta(hours=1))  # same scope: cooling down
        add_signal(ws.db, s, event="click", bucket=clock.now - timedelta(hours=1))
        with item_reads(ws.db) as counts:
            second = fan_out(ws.db, s.scan_id, sender(settings, clock))
        assert max(counts) <= 2
        assert second.matched == 2
        assert len(second.deliveries) == 1
    assert [[item["event"] for item in request.json()["items"]] for request in receiver.delivered] == \
        [["view"], ["click"]]
