"""Effective settings = built-in defaults < environment (`TRIPL_<FIELD>`) < overrides saved through the API,
with which layer won each field. Secrets are stored encrypted and never leave this module in a response."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tripl_core.errors import InvalidInput
from tripl_core.security import SecretBox
from tripl_core.service_settings.models import SettingOverride
from tripl_core.service_settings.schema import (
    SECRET_FIELDS,
    SECTIONS,
    AiSettings,
    EmailSettings,
    ObservabilitySettings,
    RuntimeSettings,
    SecuritySettings,
    SmtpSecurity,
    StorageSettings,
)
from tripl_core.settings import Settings

CACHE_SECONDS = 1.0  # per-request consumers (rate limits, metrics) read at most once a second

# Fields the process Settings (TRIPL_* env, .env, constructor) already carry under these names.
PROCESS_FIELDS = {"security.session_ttl_hours": "session_ttl_hours", "security.cookie_secure": "cookie_secure",
                  "security.login_rate_limit": "login_rate_limit",
                  "security.register_rate_limit": "register_rate_limit", "email.smtp_host": "smtp_host",
                  "email.smtp_port": "smtp_port", "email.smtp_username": "smtp_username",
                  "email.smtp_password": "smtp_password", "storage.photo_backend": "storage_backend",
                  "storage.s3_bucket": "s3_bucket", "storage.s3_region": "s3_region",
                  "storage.s3_endpoint_url": "s3_endpoint_url", "storage.s3_access_key_id": "s3_access_key_id",
                  "storage.s3_secret_access_key": "s3_secret_access_key"}


@dataclass(frozen=True)
class Effective:
    runtime: RuntimeSettings
    security: SecuritySettings
    storage: StorageSettings
    observability: ObservabilitySettings
    email: EmailSettings
    ai: AiSettings
    sources: dict[str, str]
    overridden: list[str]

    def section(self, name: str) -> BaseModel:
        value: BaseModel = getattr(self, name)
        return value


def environment(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`section.field` values the environment sets: the process Settings' own fields when set, and
    `TRIPL_<FIELD>` variables for the rest (JSON for lists, plain text otherwise)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for section, model in SECTIONS.items():
        for name in model.model_fields:
            key = f"{section}.{name}"
            attribute = PROCESS_FIELDS.get(key)
            if attribute is not None and attribute in settings.model_fields_set:
                found[key] = getattr(settings, attribute)
                continue
            raw = environ.get(f"TRIPL_{name.upper()}")
            if raw is not None:
                found[key] = _parse_env(raw)
    if settings.trusted_proxies:  # TRIPL_TRUSTED_PROXIES is comma-separated (the process Settings' form)
        found["security.trusted_proxies"] = [item.strip() for item in settings.trusted_proxies.split(",")
                                             if item.strip()]
    if "storage.photo_max_bytes" not in found and "photo_max_size_mb" in settings.model_fields_set:
        found["storage.photo_max_bytes"] = settings.photo_max_size_mb * 1024 * 1024
    if "email.smtp_security" not in found and "smtp_starttls" in settings.model_fields_set and settings.smtp_starttls:
        found["email.smtp_security"] = SmtpSecurity.starttls.value
    return found


def _parse_env(raw: str) -> Any:
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


class SettingsStore:
    """Reads and writes the overrides; `current()` is the cached effective view for hot paths."""

    def __init__(self, settings: Settings, box: SecretBox | Callable[[], SecretBox],
                 db_session: Callable[[], Session] | None = None) -> None:
        self.settings = settings
        # A factory defers reading the secret key until a secret override is actually read or written.
        self._box = box
        self._open_session = db_session
        self._cache: tuple[float, Effective] | None = None
        self._lock = threading.Lock()

    @property
    def box(self) -> SecretBox:
        if not isinstance(self._box, SecretBox):
            self._box = self._box()
        return self._box

    def effective(self, session: Session) -> Effective:
        overrides = self._overrides(session)
        env = environment(self.settings)
        sections: dict[str, BaseModel] = {}
        sources: dict[str, str] = {}
        for section, model in SECTIONS.items():
            values: dict[str, Any] = {}
            for name in model.model_fields:
                key = f"{section}.{name}"
                if key in overrides:
                    values[name], sources[key] = overrides[key], "override"
                elif key in env:
                    values[name], sources[key] = env[key], "env"
                else:
                    sources[key] = "default"
            sections[section] = _validated(model, values, section, env)
        effective = Effective(**sections, sources=sources, overridden=sorted(overrides))  # type: ignore[arg-type]
        with self._lock:
            self._cache = (time.monotonic(), effective)
        return effective

    def current(self) -> Effective:
        """The effective settings read at most CACHE_SECONDS ago (own short read session)."""
        with self._lock:
            cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        assert self._open_session is not None, "SettingsStore.current() needs a session factory"
        session = self._open_session()
        try:
            return self.effective(session)
        finally:
            session.close()

    def startup_observability(self) -> ObservabilitySettings:
        """Logging settings at start; a database not migrated yet leaves the environment and defaults."""
        try:
            return self.current().observability
        except SQLAlchemyError:
            env = {key.split(".", 1)[1]: value for key, value in environment(self.settings).items()
                   if key.startswith("observability.")}
            try:
                return ObservabilitySettings.model_validate(env)
            except ValidationError:
                return ObservabilitySettings()

    def forget(self) -> None:
        with self._lock:
            self._cache = None

    def _overrides(self, session: Session) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for row in session.scalars(select(SettingOverride)):
            if row.key in SECRET_FIELDS:
                if row.secret_encrypted is not None:
                    result[row.key] = self.box.decrypt(row.secret_encrypted)
            else:
                result[row.key] = row.value
        return result

    def apply(self, session: Session, changes: Mapping[str, Mapping[str, Any]], user_id: uuid.UUID | None) -> list[str]:
        """Save the given `{section: {field: value}}` (null clears the override); the result must validate
        as a whole. Returns the changed `section.field` names (what the audit records)."""
        changed: list[str] = []
        for section, values in changes.items():
            for name, value in values.items():
                key = f"{section}.{name}"
                session.execute(delete(SettingOverride).where(SettingOverride.key == key))
                if value is not None:
                    plain = value.value if hasattr(value, "value") else value
                    if key in SECRET_FIELDS:
                        session.add(SettingOverride(key=key, secret_encrypted=self.box.encrypt(str(plain)),
                                                    updated_by_id=user_id))
                    else:
                        session.add(SettingOverride(key=key, value=plain, updated_by_id=user_id))
                changed.append(key)
        session.flush()
        self.effective(session)  # refuses a combination that does not validate (422), refreshes the cache
        return sorted(changed)


def _validated(model: type[BaseModel], values: dict[str, Any], section: str, env: Mapping[str, Any]) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        origin = "environment" if f"{section}.{first['loc'][0]}" in env else "saved settings"
        raise InvalidInput(f"{section}.{field} ({origin}): {first['msg']}",
                           details=[{"loc": ["body", section, *first["loc"]], "message": first["msg"],
                                     "type": first["type"]}]) from exc

