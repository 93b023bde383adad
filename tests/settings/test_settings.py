"""Service and AI settings: layers and sources, merge semantics, null clears, validation naming the field,
secrets encrypted and write-only, owner only, audited, effective without a restart; /metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.plan.support import ok
from tests.support.fake_openai import FakeOpenAI, running_fake_openai
from tests.support.workspace import PASSWORD, Workspace
from tripl_core.access.models import AuditEntry
from tripl_core.service_settings import logs
from tripl_core.service_settings.models import SettingOverride

SETTINGS = "/api/v1/settings"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake_openai() as server:
        yield server


def test_defaults_environment_and_overrides_with_sources(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPL_LOG_LEVEL", "WARNING")
    current = ok(ws.owner.get(SETTINGS))
    assert set(current) == {"runtime", "security", "storage", "observability", "email", "ai", "system",
                            "overridden_fields", "sources"}
    assert current["observability"]["log_level"] == "WARNING"
    assert current["sources"]["observability.log_level"] == "env"
    assert current["sources"]["runtime.scan_row_limit_default"] == "default"
    assert current["sources"]["security.login_rate_limit"] == "env"  # the test Settings set it
    assert current["overridden_fields"] == []
    assert current["system"]["database"] in ("sqlite", "postgresql")
    assert current["system"]["migration_current"] is True

    changed = ok(ws.owner.patch(SETTINGS, json={"observability": {"log_level": "ERROR"},
                                                "runtime": {"scan_row_limit_default": 1234}}))
    assert changed["observability"]["log_level"] == "ERROR"
    assert changed["sources"]["observability.log_level"] == "override"
    assert changed["overridden_fields"] == ["observability.log_level", "runtime.scan_row_limit_default"]
    # PUT merges like PATCH: absent fields stay.
    put = ok(ws.owner.put(SETTINGS, json={"runtime": {"metrics_row_limit_default": 99}}))
    assert put["runtime"]["scan_row_limit_default"] == 1234
    assert put["runtime"]["metrics_row_limit_default"] == 99
    cleared = ok(ws.owner.patch(SETTINGS, json={"observability": {"log_level": None}}))
    assert cleared["observability"]["log_level"] == "WARNING"
    assert cleared["sources"]["observability.log_level"] == "env"
    assert "observability.log_level" not in cleared["overridden_fields"]


def test_validation_names_the_field_and_changes_nothing(ws: Workspace) -> None:
    for body, where in [({"security": {"login_rate_limit": "lots"}}, "login_rate_limit"),
                        ({"security": {"trusted_proxies": ["not-an-ip"]}}, "trusted_proxies"),
                        ({"ai": {"ai_timeout_seconds": 0}}, "ai_timeout_seconds"),
                        ({"ai": {"ai_base_url": "ftp://x"}}, "ai_base_url"),
                        ({"email": {"smtp_security": "tls9"}}, "smtp_security"),
                        ({"runtime": {"nonsense": 1}}, "nonsense"),
                        ({"bogus": {}}, "bogus")]:
        response = ws.owner.patch(SETTINGS, json=body)
        assert response.status_code == 422, body
        assert where in response.json()["detail"], response.text
    assert ok(ws.owner.get(SETTINGS))["overridden_fields"] == []
    assert ws.owner.put(f"{SETTINGS}/ai", json={"ai_max_output_tokens": 1}).status_code == 422


def test_owner_only(ws: Workspace) -> None:
    for actor in (ws.editor, ws.viewer):
        assert actor.get(SETTINGS).status_code == 403
        assert actor.patch(SETTINGS, json={}).status_code == 403
        assert actor.get(f"{SETTINGS}/ai").status_code == 403
        assert actor.put(f"{SETTINGS}/ai", json={}).status_code == 403
        assert actor.post(f"{SETTINGS}/ai/test", json={}).status_code == 403
    assert ws.anonymous.get(SETTINGS).status_code == 401


def test_secrets_are_encrypted_write_only_and_kept_out_of_the_audit(ws: Workspace) -> None:
    saved = ok(ws.owner.put(f"{SETTINGS}/ai", json={"ai_api_key": "sk-very-secret", "ai_model": "m"}))
    assert saved["ai"]["ai_api_key_configured"] is True
    assert "ai_api_key" not in saved["ai"]
    assert saved["overridden_fields"] == ["ai.ai_api_key", "ai.ai_model"]
    assert set(saved) == {"ai", "overridden_fields", "sources"}
    everything = ws.owner.get(SETTINGS)
    assert "sk-very-secret" not in everything.text
    assert everything.json()["system"]["secrets_configured"]["ai_api_key"] is True
    with ws.db.unit_of_work() as session:
        row = session.get(SettingOverride, "ai.ai_api_key")
        assert row is not None
        assert row.value is None
        assert row.secret_encrypted
        assert "sk-very-secret" not in row.secret_encrypted
        audits = list(session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("settings."))))
    assert audits
    assert all("sk-very-secret" not in str(a.details) for a in audits)
    assert any("ai_api_key" in str(a.details) for a in audits)
    ok(ws.owner.put(f"{SETTINGS}/ai", json={"ai_api_key": None}))
    assert ok(ws.owner.get(f"{SETTINGS}/ai"))["ai"]["ai_api_key_configured"] is False


def test_rate_limits_and_session_cookie_follow_the_settings_without_restart(ws: Workspace) -> None:
    ok(ws.owner.patch(SETTINGS, json={"security": {"login_rate_limit": "2/minute", "cookie_secure": True,
                                                   "session_ttl_hours": 2}}))
    login = {"email": "owner@example.com", "password": PASSWORD}
    first = ws.anonymous.post("/api/v1/auth/login", json=login)
    assert first.status_code == 200, first.text
    cookie = first.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "max-age=7200" in cookie
    assert ws.anonymous.post("/api/v1/auth/login", json=login).status_code == 200
    assert ws.anonymous.post("/api/v1/auth/login", json=login).status_code == 429


def test_registration_can_be_closed(ws: Workspace) -> None:
    ok(ws.owner.patch(SETTINGS, json={"security": {"registration": "disabled"}}))
    refused = ws.anonymous.post("/api/v1/auth/register", json={"email": "new@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert "Registration is disabled" in refused.json()["detail"]


def test_test_ai_settings_answers_ok_or_the_reason(ws: Workspace, fake: FakeOpenAI) -> None:
    assert ok(ws.owner.post(f"{SETTINGS}/ai/test", json={}))["ok"] is False  # nothing configured
    ok(ws.owner.put(f"{SETTINGS}/ai", json={"ai_base_url": fake.url, "ai_model": "tiny",
                                            "ai_allow_private_network": True, "ai_timeout_seconds": 1}))
    answered = ok(ws.owner.post(f"{SETTINGS}/ai/test", json={}))
    assert answered == {"ok": True, "message": "tiny answered: ok"}
    assert fake.chats[-1]["messages"][-1]["content"] == "Reply with the word ok if the LLM connection works."
    fake.modes = ["fail"]
    failed = ok(ws.owner.post(f"{SETTINGS}/ai/test", json={"prompt": "hi"}))
    assert failed["ok"] is False
    assert "HTTP 500" in failed["message"]
    assert ws.owner.post(f"{SETTINGS}/ai/test", json={"prompt": ""}).status_code == 422


def test_metrics_endpoint_follows_the_switch(ws: Workspace) -> None:
    assert ws.anonymous.get("/metrics").status_code == 404
    ok(ws.owner.patch(SETTINGS, json={"observability": {"prometheus_enabled": True}}))
    ok(ws.owner.get(SETTINGS))
    body = ws.anonymous.get("/metrics").text
    assert 'tripl_http_requests_total{method="GET",route="/api/v1/settings",status="200"}' in body
    assert "tripl_http_request_duration_seconds_bucket" in body
    assert "# TYPE tripl_jobs gauge" in body
    assert "# TYPE tripl_alert_deliveries gauge" in body


def _ai(ws: Workspace) -> dict[str, Any]:
    result: dict[str, Any] = ok(ws.owner.get(f"{SETTINGS}/ai"))
    return result


def test_embedding_settings_switch_semantic_search(ws: Workspace) -> None:
    ws.project("shop")
    ok(ws.owner.put(f"{SETTINGS}/ai", json={"search_embeddings_enabled": False}))
    assert _ai(ws)["ai"]["search_embeddings_enabled"] is False
    result = ok(ws.viewer.get("/api/v1/projects/shop/search", params={"q": "anything"}))
    assert result["semantic_used"] is False
    assert ok(ws.owner.post("/api/v1/projects/shop/search/reindex"))["embeddings_scheduled"] is False


def test_log_level_and_json_logs_apply_at_once(ws: Workspace) -> None:
    ok(ws.owner.patch(SETTINGS, json={"observability": {"log_level": "DEBUG", "json_logs": True}}))
    root = logging.getLogger()
    handler = next(h for h in root.handlers if h.get_name() == logs.HANDLER_NAME)
    assert root.level == logging.DEBUG
    assert isinstance(handler.formatter, logs.JsonFormatter)
    record = logging.LogRecord("tripl.test", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
    assert json.loads(handler.formatter.format(record))["message"] == "hello there"
    ok(ws.owner.patch(SETTINGS, json={"observability": {"log_level": None, "json_logs": None}}))
    assert root.level == logging.INFO
    assert not isinstance(handler.formatter, logs.JsonFormatter)
