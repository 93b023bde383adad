"""Service settings, read from `TRIPL_*` environment variables (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIPL_", env_file=".env", extra="ignore")

    state_dir: Path = Field(default=Path(".tripl"), description="SQLite database, Dagster storage, "
                            "embedded warehouse files and the generated secret key live here.")
    database_url: str | None = Field(default=None, description="App database; SQLite in the state "
                                     "directory when unset, PostgreSQL by URL.")
    secret_key: str | None = Field(default=None, description="Encrypts secrets at rest; generated into "
                                   "the state directory on first start when unset.")
    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    cookie_secure: bool = False
    login_rate_limit: str = Field(default="5/minute", description="Login attempts per client address.")
    register_rate_limit: str = Field(default="3/hour", description="Registrations per client address.")
    sqlite_busy_timeout_ms: int = 10_000
    dagster_url: str | None = Field(default=None, description="The Dagster webserver the API launches scan "
                                    "runs through (GraphQL); runs execute in the API's process when unset.")
    allow_private_webhooks: bool = Field(default=False, description="Older name of outbound_allow_private "
                                         "(either turns it on).")
    outbound_allow_private: bool = Field(default=False, description="Let outbound calls (alert "
                                         "destinations, data sources, AI endpoints) reach loopback, private and "
                                         "link-local addresses, and plain http. Off: public https only.")
    outbound_allowed_hosts: str = Field(default="", description="Comma-separated host names, addresses or "
                                        "CIDRs outbound calls may reach even though they are not public (a "
                                        "local receiver, a warehouse on the private network, a local LLM).")
    outbound_max_response_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    trusted_proxies: str = Field(default="", description="Comma-separated addresses or CIDRs of reverse "
                                 "proxies whose X-Forwarded-For is believed; every other peer is its own "
                                 "client address (rate limits, audit).")
    max_request_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Largest request body "
                                   "accepted (413 beyond).")
    alert_http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    telegram_api_url: str = "https://api.telegram.org"
    linear_api_url: str = "https://api.linear.app/graphql"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for entry in value.replace(",", " ").split():
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {entry!r} is not an address or CIDR") from exc
        return value

    @field_validator("state_dir")
    @classmethod
    def _absolute_state_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+pysqlite:///{self.state_dir / 'tripl.db'}"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        return _read_or_create_secret(self.state_dir / SECRET_KEY_FILE)


def normalise_database_url(url: str) -> str:
    """Accept plain `postgresql://` / `postgres://` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _read_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Create with 0600 so other local users cannot read the key that encrypts stored secrets.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
