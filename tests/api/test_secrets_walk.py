"""Every schema that can carry a secret, filled with every secret key its type knows (tripl_core.secret_fields):
no clear text reaches a plain database column, the audit log, a log line or any response."""

from __future__ import annotations

import itertools
import json
import logging

import pytest
from sqlalchemy import text

from tests.support.workspace import Workspace
from tripl_core.secret_fields import DATA_SOURCE_SECRETS, DESTINATION_SECRETS

DS_URL = "/api/v1/data-sources"
_serial = itertools.count()
ENCRYPTED_COLUMNS = {"password_encrypted", "secret_params_encrypted", "secrets_encrypted"}
DESTINATION_PLAIN: dict[str, dict[str, str]] = {
    "slack": {}, "telegram": {"chat_id": "42"}, "webhook": {"webhook_header_name": "X-Hook-Secret"},
    "email": {"email_recipients": "a@example.com", "email_from_address": "tripl@example.com"},
    "jira": {"jira_base_url": "https://jira.example.com", "jira_auth_email": "bot@example.com",
             "jira_project_key": "OPS"},
    "linear": {"linear_team_id": "team-1"},
}
URL_SECRETS = {"webhook_url", "target_url"}


def _marker(name: str) -> str:
    return f"clear-{name}-{next(_serial)}-zz"


def _secret_value(name: str) -> str:
    marker = _marker(name)
    return f"https://hooks.example.com/{marker}" if name in URL_SECRETS else marker


def test_no_secret_reaches_a_column_the_audit_log_a_log_line_or_a_response(
        ws: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ws.project()
    sent: list[str] = []
    responses: list[str] = []
    for db_type, keys in DATA_SOURCE_SECRETS.items():
        if db_type == "chdb":
            continue
        secrets = {key: _marker(key) for key in sorted(keys - {"password"})}
        password = _marker("password")
        sent += [password, *secrets.values()]
        body = {"name": f"ds-{db_type}", "db_type": db_type, "host": "warehouse.example.com",
                "database_name": "analytics", "password": password,
                "extra_params": {**secrets, "sslmode": "require"}}
        created = ws.owner.post(DS_URL, json=body)
        assert created.status_code == 201, created.text
        assert created.json()["extra_params"] == {"sslmode": "require"}
        assert set(created.json()["secret_params_configured"]) == set(secrets)
        rotated = {key: _marker(key) for key in secrets}
        sent += rotated.values()
        updated = ws.owner.patch(f"{DS_URL}/{created.json()['id']}", json={"extra_params": rotated})
        assert updated.status_code == 200, updated.text
        responses += [created.text, updated.text, ws.viewer.get(f"{DS_URL}/{created.json()['id']}").text]
    responses.append(ws.viewer.get(DS_URL).text)

    for kind, fields in DESTINATION_SECRETS.items():
        secrets = {name: _secret_value(name) for name in fields}
        sent += secrets.values()
        made = ws.editor.post("/api/v1/projects/shop/alert-destinations",
                              json={"type": kind, "name": f"to-{kind}", **DESTINATION_PLAIN[kind], **secrets})
        assert made.status_code == 201, made.text
        rotated = {name: _secret_value(name) for name in fields}
        sent += rotated.values()
        updated = ws.editor.patch(f"/api/v1/projects/shop/alert-destinations/{made.json()['id']}", json=rotated)
        assert updated.status_code == 200, updated.text
        responses += [made.text, updated.text]
    responses.append(ws.viewer.get("/api/v1/projects/shop/alert-destinations").text)
    responses.append(ws.owner.get("/api/v1/audit").text)

    stored = _plain_columns(ws)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in sent:
        assert not any(secret in body for body in responses), f"{secret} in a response"
        assert secret not in stored, f"{secret} in a plain column"
        assert secret not in logged, f"{secret} in a log line"


def _plain_columns(ws: Workspace) -> str:
    """Every column of every table that may hold user data, except the Fernet ciphertext columns."""
    dumped: list[str] = []
    with ws.db.engine.connect() as connection:
        for table in ("data_sources", "alert_destinations", "audit_log", "activity", "jobs"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).mappings()
            for row in rows:
                dumped.append(json.dumps({k: str(v) for k, v in row.items() if k not in ENCRYPTED_COLUMNS}))
    return "\n".join(dumped)
