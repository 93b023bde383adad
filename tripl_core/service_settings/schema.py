"""The service settings (SEMANTICS §14): sections of fields with their built-in defaults and validation.

Each section model is the effective shape; `SECRET_FIELDS` are write-only (responses say `<field>_configured`);
the `*SettingsUpdate` request models are derived from the sections (every field optional, unknown ones
refused) so a field's rules are written once."""

from __future__ import annotations

import ipaddress
import logging
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from tripl_core.access.rate_limit import Rate
from tripl_core.scan_configs.models import DEFAULT_METRICS_ROW_LIMIT, DEFAULT_SCAN_ROW_LIMIT


def _http_url(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an absolute http(s) URL")
    return value.rstrip("/")


def _origin(value: str) -> str:
    """A browser origin as the Origin header sends it: scheme, host and port only."""
    checked = str(_http_url(value, "a CORS origin"))
    parts = urlsplit(checked)
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} is not an origin: use scheme://host[:port] with no path, query or user")
    return checked


class RuntimeSettings(BaseModel):
    app_base_url: str | None = Field(None, max_length=500, description="The address users reach tripl at "
                                     "(links in alerts and emails).")
    scan_row_limit_default: int = Field(DEFAULT_SCAN_ROW_LIMIT, ge=1, le=100_000_000,
                                        description="Row limit of new scan configs that do not set one.")
    metrics_row_limit_default: int = Field(DEFAULT_METRICS_ROW_LIMIT, ge=1, le=100_000_000,
                                           description="Metrics row limit of new scan configs that do not set one.")

    @field_validator("app_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value, "app_base_url")


class Registration(StrEnum):
    open = "open"
    disabled = "disabled"


class SecuritySettings(BaseModel):
    session_ttl_hours: int = Field(24 * 7, ge=1, le=24 * 365)
    cookie_secure: bool = False
    login_rate_limit: str = Field("5/minute", description="Login attempts per client address: `N/unit`.")
    register_rate_limit: str = Field("3/hour", description="Registrations per client address: `N/unit`.")
    trusted_proxies: list[str] = Field(default_factory=list, max_length=100,
                                       description="Addresses or networks whose X-Forwarded-For is believed.")
    registration: Registration = Registration.open
    cors_origins: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("login_rate_limit", "register_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        Rate.parse(value)  # raises ValueError naming the expected form
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]


class PhotoBackend(StrEnum):
    local = "local"
    s3 = "s3"


class StorageSettings(BaseModel):
    photo_backend: PhotoBackend = PhotoBackend.local
    photo_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)
    s3_bucket: str | None = Field(None, max_length=255)
    s3_region: str | None = Field(None, max_length=64)
    s3_endpoint_url: str | None = Field(None, max_length=500)
    s3_access_key_id: str | None = Field(None, max_length=255)
    s3_secret_access_key: str | None = Field(None, max_length=500)

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return _http_url(value, "s3_endpoint_url")


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ObservabilitySettings(BaseModel):
    log_level: LogLevel = "INFO"
    json_logs: bool = False
    prometheus_enabled: bool = Field(False, description="Serve Prometheus metrics at /metrics.")


class SmtpSecurity(StrEnum):
    none = "none"
    starttls = "starttls"
    implicit_tls = "implicit_tls"


class EmailSettings(BaseModel):
    smtp_host: str = Field("localhost", min_length=1, max_length=255)
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = Field(None, max_length=255)
    smtp_password: str | None = Field(None, max_length=500)
    smtp_security: SmtpSecurity = SmtpSecurity.none
    smtp_from: str = Field("tripl@localhost", min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class EmbeddingProvider(StrEnum):
    builtin = "builtin"
    openai = "openai"


class AiSettings(BaseModel):
    ai_enabled: bool = False
    ai_base_url: str | None = Field(None, max_length=500, description="An OpenAI-compatible API root, e.g. "
                                    "https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama).")
    ai_model: str | None = Field(None, min_length=1, max_length=200)
    ai_api_key: str | None = Field(None, max_length=1000)
    ai_timeout_seconds: int = Field(30, ge=1, le=300)
    ai_max_output_tokens: int = Field(800, ge=16, le=8000)
    ai_allow_private_network: bool = Field(False, description="Let the AI and embedding endpoints be on "
                                           "loopback or private addresses (a model on this host or network).")
    describe_system_prompt: str | None = Field(None, max_length=8000)
    ask_system_prompt: str | None = Field(None, max_length=8000)
    alert_explanation_system_prompt: str | None = Field(None, max_length=8000)
    search_embeddings_enabled: bool = True
    search_embedding_provider: EmbeddingProvider = EmbeddingProvider.builtin
    search_embedding_model: str | None = Field(None, max_length=200, description="For the openai provider: "
                                               "the embedding model at ai_base_url.")
    search_embedding_api_key: str | None = Field(None, max_length=1000)

    @field_validator("ai_base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return _http_url(value, "ai_base_url")


SECTIONS: dict[str, type[BaseModel]] = {
    "runtime": RuntimeSettings, "security": SecuritySettings, "storage": StorageSettings,
    "observability": ObservabilitySettings, "email": EmailSettings, "ai": AiSettings,
}
SECRET_FIELDS = frozenset({"storage.s3_secret_access_key", "email.smtp_password", "ai.ai_api_key",
                           "ai.search_embedding_api_key"})


def _update_model(model: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        optional: Any = Field(None, description=info.description)
        optional.metadata.extend(info.metadata)  # the section's bounds (ge, le, max_length…) still apply
        fields[name] = (info.annotation | None, optional)  # type: ignore[operator]
    return create_model(f"{model.__name__}Update", __config__=ConfigDict(extra="forbid"),
                        __validators__=_validators_of(model), **fields)


def _validators_of(model: type[BaseModel]) -> dict[str, Any]:
    """The section's field validators, reused on the update model (skipped for null: null clears)."""
    result: dict[str, Any] = {}
    for name, decorator in model.__pydantic_decorators__.field_validators.items():
        func = decorator.func.__func__ if hasattr(decorator.func, "__func__") else decorator.func

        def run(cls: Any, value: Any, _func: Any = func) -> Any:
            return None if value is None else _func(cls, value)

        result[name] = field_validator(*decorator.info.fields)(classmethod(run))
    return result


UPDATES: dict[str, type[BaseModel]] = {section: _update_model(model) for section, model in SECTIONS.items()}
RuntimeSettingsUpdate = UPDATES["runtime"]
SecuritySettingsUpdate = UPDATES["security"]
StorageSettingsUpdate = UPDATES["storage"]
ObservabilitySettingsUpdate = UPDATES["observability"]
EmailSettingsUpdate = UPDATES["email"]
AiSettingsUpdate = UPDATES["ai"]

LOG_LEVELS = {name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}
