"""Response shapes of the settings operations: secrets shown only as `<field>_configured`, plus `system`
(read-only facts about this installation), `sources` and `overridden_fields`."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from tripl_core.db.migrate import current_heads
from tripl_core.service_settings.schema import (
    SECRET_FIELDS,
    SECTIONS,
    AiSettingsUpdate,
    EmailSettingsUpdate,
    ObservabilitySettingsUpdate,
    RuntimeSettingsUpdate,
    SecuritySettingsUpdate,
    StorageSettingsUpdate,
)
from tripl_core.service_settings.store import Effective
from tripl_core.settings import Settings


class SystemInfo(BaseModel):
    version: str
    database: str
    migration_revision: str | None
    migration_head: str | None
    migration_current: bool
    secrets_configured: dict[str, bool]


class ServiceSettingsOut(BaseModel):
    runtime: dict[str, Any]
    security: dict[str, Any]
    storage: dict[str, Any]
    observability: dict[str, Any]
    email: dict[str, Any]
    ai: dict[str, Any]
    system: SystemInfo
    overridden_fields: list[str]
    sources: dict[str, str] = Field(description="`section.field` → default | env | override")


class AiSettingsOut(BaseModel):
    ai: dict[str, Any]
    overridden_fields: list[str]
    sources: dict[str, str]


class ServiceSettingsUpdate(BaseModel):
    """Sections to change; inside each, fields set are saved, `null` clears an override, absent fields are
    untouched (PUT and PATCH alike)."""

    model_config = ConfigDict(extra="forbid")

    runtime: RuntimeSettingsUpdate | None = None  # type: ignore[valid-type]
    security: SecuritySettingsUpdate | None = None  # type: ignore[valid-type]
    storage: StorageSettingsUpdate | None = None  # type: ignore[valid-type]
    observability: ObservabilitySettingsUpdate | None = None  # type: ignore[valid-type]
    email: EmailSettingsUpdate | None = None  # type: ignore[valid-type]
    ai: AiSettingsUpdate | None = None  # type: ignore[valid-type]

    def changes(self) -> dict[str, dict[str, Any]]:
        result = {}
        for section in self.model_fields_set:
            value = getattr(self, section)
            if value is not None:
                result[section] = {name: getattr(value, name) for name in value.model_fields_set}
        return result


class TestAiIn(BaseModel):
    prompt: str = Field("Reply with the word ok if the LLM connection works.", min_length=1, max_length=500)


class TestAiOut(BaseModel):
    ok: bool
    message: str


def section_view(effective: Effective, section: str) -> dict[str, Any]:
    values = effective.section(section).model_dump(mode="json")
    for key in SECRET_FIELDS:
        owner, name = key.split(".")
        if owner == section:
            values[f"{name}_configured"] = bool(values.pop(name))
    return values


def service_view(session: Session, settings: Settings, effective: Effective) -> ServiceSettingsOut:
    return ServiceSettingsOut(**{section: section_view(effective, section) for section in SECTIONS},
                              system=system_info(session, settings, effective),
                              overridden_fields=effective.overridden, sources=effective.sources)


def ai_view(effective: Effective) -> AiSettingsOut:
    return AiSettingsOut(ai=section_view(effective, "ai"),
                         overridden_fields=[k for k in effective.overridden if k.startswith("ai.")],
                         sources={k: v for k, v in effective.sources.items() if k.startswith("ai.")})


def system_info(session: Session, settings: Settings, effective: Effective) -> SystemInfo:
    bind = session.get_bind()
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    heads = current_heads(settings.resolved_database_url)
    head = heads[0] if len(heads) == 1 else None
    secrets = {"secret_key": settings.secret_key is not None or (settings.state_dir / "secret_key").exists()}
    for key in sorted(SECRET_FIELDS):
        section, name = key.split(".")
        secrets[name] = bool(getattr(effective.section(section), name))
    try:
        version = metadata.version("tripl")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return SystemInfo(version=version, database=bind.dialect.name, migration_revision=revision,
                      migration_head=head, migration_current=revision is not None and revision == head,
                      secrets_configured=secrets)
