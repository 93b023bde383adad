"""Settings that drive other parts: new scan configs' row limits, the SMTP server alert emails use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plan.support import ok
from tests.scans.support import create_scan
from tests.sources import support as sources_support
from tests.support.workspace import Workspace
from tripl_core.alerting import channel_settings
from tripl_core.alerting.sending import ChannelPolicy


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sources_support.lake_fixture(tmp_path_factory)


def test_new_scan_configs_take_the_row_limit_defaults(ws: Workspace, lake: Path) -> None:
    ws.project("shop")
    source = sources_support.create_source(ws.owner, sources_support.chdb_body(lake))
    ok(ws.owner.patch("/api/v1/settings", json={"runtime": {"scan_row_limit_default": 777,
                                                             "metrics_row_limit_default": 888}}))
    defaulted = create_scan(ws.owner, source)
    assert (defaulted["scan_row_limit"], defaulted["metrics_row_limit"]) == (777, 888)
    explicit = create_scan(ws.owner, source, name="explicit", scan_row_limit=5)
    assert (explicit["scan_row_limit"], explicit["metrics_row_limit"]) == (5, 888)


def test_alert_email_uses_the_smtp_settings(ws: Workspace) -> None:
    ok(ws.owner.patch("/api/v1/settings", json={"email": {"smtp_host": "mail.example.com", "smtp_port": 465,
                                                          "smtp_security": "implicit_tls",
                                                          "smtp_password": "pw"}}))
    store = ws.client.app.state.tripl.store  # type: ignore[attr-defined]
    store.forget()
    policy = channel_settings.channel_policy(ChannelPolicy(), store.current())
    assert (policy.smtp.host, policy.smtp.port, policy.smtp.implicit_tls, policy.smtp.starttls) == \
        ("mail.example.com", 465, True, False)
    assert policy.smtp.password == "pw"



def test_trusted_proxies_saved_in_the_security_settings_are_the_ones_the_api_believes(ws: Workspace) -> None:
    state = ws.client.app.state.tripl  # type: ignore[attr-defined]
    assert state.trusted_proxies == ""
    ok(ws.owner.patch("/api/v1/settings", json={"security": {"trusted_proxies": ["10.9.9.0/24", "192.0.2.7"]}}))
    assert state.trusted_proxies == "10.9.9.0/24,192.0.2.7"
    refused = ws.owner.patch("/api/v1/settings", json={"security": {"trusted_proxies": ["not-a-network"]}})
    assert refused.status_code == 422, refused.text
    assert state.trusted_proxies == "10.9.9.0/24,192.0.2.7"


def test_cors_origins_saved_in_the_security_settings_are_the_ones_browsers_may_call_from(ws: Workspace) -> None:
    app_origin, other = "https://app.example.com", "https://evil.example.net"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

    def allowed_origin(origin: str) -> str | None:
        return ws.owner.get("/api/v1/projects", headers={"Origin": origin}).headers.get("access-control-allow-origin")

    assert allowed_origin(app_origin) is None  # same-origin only until an owner opens it
    assert ws.client.options("/api/v1/projects", headers={"Origin": app_origin, **preflight}).status_code == 400

    ok(ws.owner.patch("/api/v1/settings", json={"security": {"cors_origins": ["https://APP.example.com/"]}}))
    answered = ws.owner.get("/api/v1/projects", headers={"Origin": app_origin})
    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == app_origin  # echoed, never "*": cookies are credentials
    assert answered.headers["access-control-allow-credentials"] == "true"
    assert "origin" in answered.headers["vary"].lower()
    assert allowed_origin(other) is None
    checked = ws.client.options("/api/v1/projects", headers={"Origin": app_origin, **preflight})
    assert checked.status_code == 200, checked.text
    assert "POST" in checked.headers["access-control-allow-methods"]
    assert ws.client.options("/api/v1/projects", headers={"Origin": other, **preflight}).status_code == 400

    for bad in ("https://app.example.com/app", "ftp://app.example.com", "https://user@app.example.com"):
        refused = ws.owner.patch("/api/v1/settings", json={"security": {"cors_origins": [bad]}})
        assert refused.status_code == 422, (bad, refused.text)
    assert allowed_origin(app_origin) == app_origin  # the refused changes changed nothing
