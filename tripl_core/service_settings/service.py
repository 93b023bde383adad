"""Changing the service settings, and what a change sets in motion in this process."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.service_settings import logs
from tripl_core.service_settings.store import Effective, SettingsStore


def update(session: Session, store: SettingsStore, principal: Principal,
           changes: dict[str, dict[str, Any]]) -> Effective:
    """Save the overrides; logging follows at once (other consumers read the settings when they act)."""
    store.apply(session, changes, principal.user.id)
    effective = store.effective(session)
    logs.configure(effective.observability)
    return effective
