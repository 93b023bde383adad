"""Warehouse connections made outside the API (Dagster runs, direct callers) resolve the host once, refuse a
non-global address unless the owner's switch (TRIPL_OUTBOUND_*) allows it, and dial the checked address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
import requests

from tests.scans.catalog_support import BOX, LOCAL_WAREHOUSES, make_project, make_scan
from tests.support.postgres import PostgresServer
from tests.support.serving import serving
from tripl_core.db.engine import Database
from tripl_core.outbound import OutboundPolicy
from tripl_core.scans.catalog_scan import run_catalog_scan
from tripl_core.sources.schemas import DataSourceCreate
from tripl_core.warehouse import WarehouseConfig, WarehouseError, create_warehouse
from tripl_core.warehouse.pinning import pin
from tripl_core.warehouse.transports.pinned_http import PinnedHostRefused, pin_session

PIN_DB = "pinning_wh"


@pytest.fixture(scope="module")
def pin_warehouse(pg_server: PostgresServer) -> PostgresServer:
    pg_server.create_database(PIN_DB)
    with psycopg.connect(pg_server.libpq_dsn(PIN_DB), autocommit=True) as connection:
        connection.execute("CREATE TABLE events (ts timestamptz, event_type text, event_name text)")
        connection.execute("INSERT INTO events VALUES (now(), 'screen', 'home')")
    return pg_server


def _by_name(server: PostgresServer) -> DataSourceCreate:
    # `localhost` is a host *name* that resolves to 127.0.0.1 on this machine.
    return DataSourceCreate(name="pg by name", db_type="postgres", host="localhost", port=server.port,
                            database_name=PIN_DB, username=server.user, timeout_seconds=20)


@pytest.mark.postgres
def test_a_pipeline_run_refuses_a_loopback_warehouse_unless_the_owner_allowed_it(
        db: Database, pin_warehouse: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = make_project(db, _by_name(pin_warehouse))  # saved while the switch allowed it
    scan_id = make_scan(db, setup, base_query="SELECT * FROM events", event_name_format="{event_name}",
                        json_value_paths=[])

    monkeypatch.setenv("TRIPL_OUTBOUND_ALLOWED_HOSTS", "")
    monkeypatch.delenv("TRIPL_OUTBOUND_ALLOW_PRIVATE", raising=False)
    with pytest.raises(WarehouseError, match=r"localhost resolves to 127\.0\.0\.1, which is not a public address"):
        run_catalog_scan(db, scan_id, None, secrets=BOX)

    monkeypatch.setenv("TRIPL_OUTBOUND_ALLOW_PRIVATE", "true")
    run_catalog_scan(db, scan_id, None, secrets=BOX)  # the owner's switch on: the run reads the warehouse


@pytest.mark.postgres
def test_the_host_is_resolved_once_and_the_driver_dials_the_checked_address(pin_warehouse: PostgresServer) -> None:
    answers = iter([["127.0.0.1"], ["10.1.2.3"]])  # a rebinding resolver: the second answer must never be used
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    config = WarehouseConfig(db_type="postgres", host="warehouse.invalid", port=pin_warehouse.port,
                             database=PIN_DB, username=pin_warehouse.user, timeout_seconds=20,
                             outbound=replace(LOCAL_WAREHOUSES, resolver=rebinding))
    warehouse = create_warehouse(config)
    try:
        # `warehouse.invalid` resolves nowhere: the query reaches PostgreSQL only through the pinned address.
        assert warehouse.sample("SELECT * FROM events", 5).rows[0][1:] == ("screen", "home")
        assert warehouse.sample("SELECT * FROM events", 5).rows
    finally:
        warehouse.close()
    assert asked == ["warehouse.invalid"]


@pytest.mark.parametrize("db_type", ["postgres", "clickhouse"])
def test_pinning_binds_each_driver_to_the_address_and_keeps_the_name_for_tls(db_type: str) -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",), resolver=lambda host, port: ["127.0.0.1"])
    pinned = pin(WarehouseConfig(db_type=db_type, host="db.internal", port=5432, outbound=policy))  # type: ignore[arg-type]
    if db_type == "postgres":
        assert (pinned.host, pinned.params["hostaddr"]) == ("db.internal", "127.0.0.1")
    else:
        assert (pinned.host, pinned.params["server_host_name"]) == ("127.0.0.1", "db.internal")
    strict = replace(policy, allowed_hosts=())
    with pytest.raises(WarehouseError, match=r"db\.internal resolves to 127\.0\.0\.1, which is not a public address"):
        pin(WarehouseConfig(db_type=db_type, host="db.internal", port=5432, outbound=strict))  # type: ignore[arg-type]


def test_a_bigquery_endpoint_is_checked_at_connect_time() -> None:
    strict = OutboundPolicy(resolver=lambda host, port: ["169.254.169.254"])
    config = WarehouseConfig(db_type="bigquery", host="proj", outbound=strict,
                             params={"api_endpoint": "https://bq.example.test"})
    with pytest.raises(WarehouseError, match="not a public address"):
        create_warehouse(config)


def test_a_bigquery_endpoint_is_dialled_at_the_checked_address_under_its_own_name() -> None:
    answers = iter([["127.0.0.1"], ["10.1.2.3"]])  # a rebinding resolver: the second answer must never be used
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    with _recording_server() as (port, hosts):
        policy = OutboundPolicy(allowed_hosts=("bq.invalid", "127.0.0.1"), resolver=rebinding)
        config = WarehouseConfig(db_type="bigquery", host="proj", database="ds", timeout_seconds=5, outbound=policy,
                                 params={"api_endpoint": f"http://bq.invalid:{port}", "dry_run": False})
        warehouse = create_warehouse(config)
        try:
            # `bq.invalid` resolves nowhere: the request reaches the server only through the pinned address.
            with pytest.raises(WarehouseError, match="no such dataset"):
                warehouse.sample("SELECT 1", 1)
        finally:
            warehouse.close()
    assert asked == ["bq.invalid"]
    assert hosts
    assert set(hosts) == {f"bq.invalid:{port}"}  # the Host header keeps the checked name


def test_a_pinned_session_refuses_any_other_host() -> None:
    session = pin_session(requests.Session(), "https://bq.example.test", "127.0.0.1")
    with pytest.raises(PinnedHostRefused, match=r"elsewhere\.example is not the checked endpoint bq\.example\.test"):
        session.get("https://elsewhere.example/x", timeout=1)


@contextmanager
def _recording_server() -> Iterator[tuple[int, list[str]]]:
    """A server answering every request with BigQuery's 404 error, and the Host headers it was sent."""
    hosts: list[str] = []

    class NotFound(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            hosts.append(self.headers.get("Host", ""))
            body = json.dumps({"error": {"code": 404, "message": "no such dataset", "status": "NOT_FOUND"}}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, *args: object) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), NotFound)) as server:
        yield server.server_address[1], hosts
