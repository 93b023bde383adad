"""End to end (slow), on one `tripl up` (free ports, a fresh state dir, TRIPL_ALLOW_PRIVATE_WEBHOOKS=true for
a receiver on 127.0.0.1, TRIPL_METRICS_SENSOR_INTERVAL_SECONDS=5) shared by the module's two tests: bringing
a stack up, generating its demo and running the demo's first scan and 28-day collection is most of what
each test costs.

- The stack serves a working demo: the first account is printed and saved; signed in with it, the demo
  project's first scan (launched by `tripl up`) and a Run Scan over HTTP end in jobs that succeeded through
  the Dagster webserver and daemon, with the plan discovered (events with their `source_name`, the
  unplanned event a shadow candidate).
- A demo project made by Create Demo Project, with a webhook destination and a rule taking every kind of
  signal, delivers its planted cases: Create Demo Project launches the catalog scan, the Dagster daemon's
  metrics sensor requests the first collection, and the `scan_metrics` run ends in the `alert_fanout`
  asset, which sends to the receiver. The spike, the drop and the silence arrive as signals at their
  planted buckets, the release missing one event as a regression, the currency shift as a distribution
  drift and the coupon key as a new-field schema drift; every request carries the destination's secret
  header and an idempotency key, every key and every item arrives once, and List Alert Deliveries shows
  those deliveries sent.

Everything is stopped when the module ends."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.support import STARTUP_SECONDS, Up, diagnostics, eventually, wait_for_job
from tests.support.receivers import HttpReceiver, Received, http_receiver
from tripl_core.demo import app_events
from tripl_core.demo.app_events import SHADOW_EVENT
from tripl_core.demo.synth import BUCKET
from tripl_core.demo.warehouse import _schedule
from tripl_core.warehouse import Interval, bucket_start

pytestmark = pytest.mark.slow

DELIVERY_SECONDS = 900  # catalog scan, then the sensor's 28-day first collection and fan-out on a shared machine
SECRET_HEADER = "X-Tripl-Secret"
SENSOR_INTERVAL_QUERY = """query { sensorOrError(sensorSelector: {repositoryLocationName: "tripl",
  repositoryName: "__repository__", sensorName: "scan_metrics_schedule"}) {
  __typename ... on Sensor { minIntervalSeconds } ... on PythonError { message } } }"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    root = tmp_path_factory.mktemp("tripl-up")
    # the metrics sensor asks every 5 s (the daemon's own loop period) instead of 30: the first collection of
    # the demo made over HTTP starts seconds after Create Demo Project rather than up to half a minute later
    running = Up(root / "state", root / "tripl-up.log", env={"TRIPL_ALLOW_PRIVATE_WEBHOOKS": "true",
                                                            "TRIPL_METRICS_SENSOR_INTERVAL_SECONDS": "5"})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def account(up: Up) -> tuple[str, str]:
    """The first account `tripl up` printed, once the API answers."""
    printed = eventually(lambda: re.search(r"email\s+(\S+)\n\s+password\s+(\S+)", up.output()), STARTUP_SECONDS,
                         "printing the first account", lambda: diagnostics(up))
    with httpx.Client(base_url=up.api, timeout=60) as client:
        eventually(lambda: client.get("/auth/me").status_code == 401 or None, STARTUP_SECONDS, "the API answering",
                   lambda: diagnostics(up))
    return printed.group(1), printed.group(2)


@pytest.fixture
def client(up: Up, account: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=up.api, timeout=60) as signed_in:
        login = signed_in.post("/auth/login", json={"email": account[0], "password": account[1]})
        assert login.status_code == 200, login.text
        yield signed_in


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as running:
        yield running


def test_tripl_up_serves_a_working_demo(up: Up, account: tuple[str, str], client: httpx.Client) -> None:
    saved = up.state_dir / "first-account.txt"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert account[1] in saved.read_text()
    assert "demo" in [p["slug"] for p in client.get("/projects").json()]  # made by `tripl up`

    # the demo project `tripl up` made had its first scan launched through Dagster
    [scan] = client.get("/projects/demo/scans").json()
    first_jobs = eventually(lambda: client.get(f"/projects/demo/scans/{scan['id']}/jobs").json() or None,
                            STARTUP_SECONDS, "the demo's first scan job (launched once Dagster is up)",
                            lambda: diagnostics(up, client, "demo"))
    first_job = wait_for_job(client, "demo", scan["id"], first_jobs[-1]["id"])
    assert first_job["status"] == "succeeded", f"{first_job['error_message']}\n{up.output()[-4000:]}"
    assert "first scan job" in up.output()
    # the webserver serves the code location now (the first scan was launched through it), and the stack's
    # TRIPL_METRICS_SENSOR_INTERVAL_SECONDS reached the metrics sensor
    with httpx.Client(base_url=up.dagster, timeout=30) as dagster:
        sensor = dagster.post("/graphql", json={"query": SENSOR_INTERVAL_QUERY}).json()["data"]["sensorOrError"]
    assert sensor == {"__typename": "Sensor", "minIntervalSeconds": 5}, sensor

    run = client.post(f"/projects/demo/scans/{scan['id']}/run")
    assert run.status_code == 202, run.text
    job = wait_for_job(client, "demo", scan["id"], run.json()["id"])
    assert job["status"] == "succeeded", (job, up.output()[-4000:])
    assert job["result_summary"]["rows_read"] > 500_000

    events = client.get("/projects/demo/events", params={"limit": 200}).json()["items"]
    assert events
    assert all(e["source_name"] == e["name"] and e["status"] == "live" for e in events)
    assert SHADOW_EVENT not in {e["name"] for e in events}
    shadows = client.get("/projects/demo/reconciliation/shadow-events")
    assert shadows.status_code == 200, shadows.text
    assert SHADOW_EVENT in {item["identity"] for item in shadows.json()["items"]}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(requests: list[Received]) -> list[dict[str, Any]]:
    return [item for request in requests for item in request.json()["items"]]


class Planted:
    """What the demo planted, for either 15-minute end its warehouse may have (creation can cross one)."""

    def __init__(self, ends: set[datetime]) -> None:
        schedules = [_schedule(end) for end in ends]
        self.spike = {_iso(start) for s in schedules for start in _buckets(*s.spike)}
        self.drop = {_iso(start) for s in schedules for start in _buckets(*s.drop)}
        # the silence is signalled once it is significant: within two hours of its start
        self.silence = {_iso(start) for s in schedules
                        for start in _buckets(s.silence[0], s.silence[0] + timedelta(hours=2))}

    def missing(self, items: list[dict[str, Any]]) -> list[str]:
        def has(check: Any) -> bool:
            return any(check(item) for item in items)

        wanted = {
            "spike": lambda i: i["kind"] == "signal" and i["event"] == app_events.SPIKE_EVENT
            and i["direction"] == "spike" and i["bucket"] in self.spike,
            "drop": lambda i: i["kind"] == "signal" and i["event"] == app_events.DROP_EVENT
            and i["direction"] == "drop" and i["bucket"] in self.drop,
            "silence": lambda i: i["kind"] == "signal" and i["event"] == app_events.SILENCE_EVENT
            and i["direction"] == "silence" and i["bucket"] in self.silence,
            "release regression": lambda i: i["kind"] == "release_regression"
            and i["event"] == app_events.MISSING_EVENT and "3.4.0" in i["scope_name"],
            "currency drift": lambda i: i["kind"] == "distribution_drift"
            and i["drift_field"] == "properties.currency",
            "new coupon field": lambda i: i["kind"] == "schema_drift"
            and i["drift_field"] == f"properties.{app_events.COUPON_KEY}",
        }
        return [name for name, check in wanted.items() if not has(check)]


def _buckets(start: datetime, end: datetime) -> list[datetime]:
    return [start + index * BUCKET for index in range((end - start) // BUCKET)]


def test_tripl_up_demo_delivers_its_planted_cases_to_a_webhook(up: Up, client: httpx.Client,
                                                             receiver: HttpReceiver) -> None:
    before = bucket_start(datetime.now(UTC), Interval.MIN_15)
    created = client.post("/projects/demo")
    assert created.status_code == 201, created.text
    planted = Planted({before, bucket_start(datetime.now(UTC), Interval.MIN_15)})
    slug = created.json()["slug"]
    p = f"/projects/{slug}"
    secret = secrets.token_urlsafe(16)
    # made right after the project: its first collection (and so its fan-out) runs tens of seconds later
    destination = client.post(f"{p}/alert-destinations", json={
        "type": "webhook", "name": "local receiver", "target_url": f"{receiver.url}/hooks/tripl",
        "webhook_header_name": SECRET_HEADER, "webhook_header_value": secret})
    assert destination.status_code == 201, destination.text
    rule = client.post(f"{p}/alert-destinations/{destination.json()['id']}/rules", json={
        "name": "everything", "include_schema_drifts": True, "include_distribution_drifts": True,
        "include_release_regressions": True})
    assert rule.status_code == 201, rule.text

    def explain() -> str:
        got = [(i["kind"], i.get("event"), i["direction"], i["bucket"], i.get("drift_field"))
               for i in _items(receiver.delivered)]
        return f"receiver got {len(receiver.requests)} requests, items: {got[:60]}\n" + \
            diagnostics(up, client, slug)

    eventually(lambda: not planted.missing(_items(receiver.delivered)) or None, DELIVERY_SECONDS,
               "the planted cases reaching the webhook receiver", explain)

    def all_shown_sent() -> tuple[list[Received], dict[str, dict[str, Any]]] | None:
        with receiver.lock:
            requests = list(receiver.requests)
        listed = client.get(f"{p}/alert-deliveries", params={"limit": 200}).json()["items"]
        shown = {d["id"]: d for d in listed}
        keys = {r.headers.get("idempotency-key") for r in requests}
        settled = all(r.answered is not None for r in requests)  # none still being answered
        return (requests, shown) if settled and keys <= shown.keys() and \
            all(shown[k]["status"] == "sent" for k in keys) else None

    requests, shown = eventually(all_shown_sent, 120, "List Alert Deliveries showing every received delivery "
                                 "sent", explain)

    assert [r.answered for r in requests if r.answered != 200] == []  # nothing failed on the way
    delivered = requests
    for request in delivered:
        assert request.path == "/hooks/tripl"
        assert request.headers[SECRET_HEADER.lower()] == secret
        body = request.json()
        assert body["project"] == created.json()["name"]
        assert body["rule"] == "everything"
        assert body["matched_count"] == len(body["items"])
    keys = Counter(request.headers["idempotency-key"] for request in delivered)
    assert max(keys.values()) == 1, keys  # each delivery arrived once
    sources = Counter((item["kind"], item["source_id"]) for item in _items(delivered))
    assert max(sources.values()) == 1, sources  # each signal or drift once
    assert not planted.missing(_items(delivered))
    for key in keys:
        assert shown[key]["status"] == "sent"
        assert shown[key]["sent_at"]
        assert shown[key]["attempts"] == 1
        assert {(i["kind"], i["source_id"]) for i in shown[key]["items"]} == \
            {(i["kind"], i["source_id"]) for i in next(r for r in delivered
                                                       if r.headers["idempotency-key"] == key).json()["items"]}
