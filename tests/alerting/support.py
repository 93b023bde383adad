"""A project with a scan config, an event type and two events, signals written as detection would, and
destinations pointed at local receivers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.plan.support import make_event, make_type
from tests.support.workspace import Workspace
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.sending import ChannelPolicy, SmtpSettings
from tripl_core.db.engine import Database
from tripl_core.metrics.models import AnomalySignal
from tripl_core.outbound import outbound_policy
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.settings import Settings
from tripl_core.sources.models import DataSource

SLUG = "shop"
P = f"/api/v1/projects/{SLUG}"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Seed:
    project_id: uuid.UUID
    scan_id: uuid.UUID
    type_id: uuid.UUID
    events: dict[str, uuid.UUID]


class Clock:
    """Injectable time: the tests move it, nothing sleeps."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def seed(ws: Workspace, tmp_dir: str = "/tmp", create_project: bool = True) -> Seed:
    project = ws.project(SLUG, "Shop") if create_project else ws.owner.get(P).json()
    page = make_type(ws.owner, SLUG, "page")
    events = {name: uuid.UUID(make_event(ws.owner, SLUG, page["id"], name)["id"]) for name in ("view", "click")}
    with ws.db.unit_of_work() as session:
        source = DataSource(name=f"lake-{uuid.uuid4().hex[:6]}", db_type="chdb", path=tmp_dir)
        session.add(source)
        session.flush()
        config = ScanConfig(project_id=uuid.UUID(project["id"]), data_source_id=source.id, name="hourly",
                            base_query="SELECT 1", interval="1h")
        session.add(config)
        session.flush()
        return Seed(uuid.UUID(project["id"]), config.id, uuid.UUID(page["id"]), events)


def add_signal(db: Database, s: Seed, *, event: str | None = "view", bucket: datetime = NOW - timedelta(hours=1),
               direction: str = "spike", actual: float = 500.0, expected: float = 100.0, z: float = 8.0,
               scope: str | None = None) -> uuid.UUID:
    scope = scope or ("event" if event else "project_total")
    ref = str(s.events[event]) if event and scope == "event" else str(s.type_id) if scope == "event_type" \
        else str(s.scan_id)
    with db.unit_of_work() as session:
        signal = AnomalySignal(project_id=s.project_id, scan_config_id=s.scan_id, scope=scope, scope_ref=ref,
                               event_id=s.events[event] if scope == "event" and event else None,
                               event_type_id=s.type_id if scope != "project_total" else None, bucket=bucket,
                               direction=direction, actual=actual, expected=expected, lower=expected * 0.8,
                               upper=expected * 1.2, z=z if direction == "spike" else -abs(z), status="open")
        session.add(signal)
        session.flush()
        return signal.id


def sender(settings: Settings, clock: Clock) -> Sender:
    policy = ChannelPolicy(outbound=outbound_policy(settings), telegram_api_url=settings.telegram_api_url,
                           linear_api_url=settings.linear_api_url,
                           smtp=SmtpSettings(host=settings.smtp_host, port=settings.smtp_port))
    return Sender(box=SecretBox(settings.resolved_secret_key), policy=policy, clock=clock)


def destination(ws: Workspace, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = ws.editor.post(P + "/alert-destinations", json={"name": f"d-{uuid.uuid4().hex[:6]}", **body})
    assert response.status_code == status, response.text
    made: dict[str, Any] = response.json()
    return made


def rule(ws: Workspace, destination_id: str, **body: Any) -> dict[str, Any]:
    response = ws.editor.post(P + f"/alert-destinations/{destination_id}/rules", json={"name": "all", **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made
