"""Service settings, read from `TRIPL_*` environment variables (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
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
    metrics_sensor_interval_seconds: int = Field(
        default=30, ge=5, le=3600, description="How often the Dagster daemon asks which scan configs are due a "
        "metrics collection: a collection starts at most this long after its interval boundary passed, or after "
        "a new scan config appears. Read when the Dagster code location loads (the daemon's loop runs every 5 s).")
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
    audit_retention_days: int | None = Field(default=None, ge=1, le=36_500, description="Audit entries older "
                                             "than this are deleted by the daily `prune_audit_log` Dagster job; "
                                             "unset keeps the log forever.")
    # Storage of event photos (the `storage` section of service settings); read through
    # tripl_core.photos.config.storage_config so saved overrides can take over later.
    storage_backend: Literal["local", "s3"] = Field(default="local", description="Where uploaded photos are "
                                                    "kept: `local` (under the state directory) or `s3`.")
    s3_endpoint_url: str | None = Field(default=None, description="Any S3-compatible endpoint; AWS when unset.")
    s3_bucket: str | None = None
    s3_prefix: str = Field(default="photos/", max_length=200)
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_presign_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600,
                                        description="How long a presigned photo link stays valid.")
    photo_max_size_mb: int = Field(default=10, ge=1, le=100, description="Largest accepted upload.")
    photo_max_pixels: int = Field(default=40_000_000, ge=1, description="Largest accepted image (width × height "
                                  "× frames); larger ones are refused before they are decoded.")

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

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("TRIPL_STORAGE_BACKEND=s3 needs TRIPL_S3_BUCKET")
        return self

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
