"""Applying a PATCH to a plan row and recording what it changed in the project's activity."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.plan.models import Project

Changed = dict[str, dict[str, Any]]
"""{attribute: {"before": old, "after": new}} for the attributes whose value differs."""


def apply_changes(session: Session, row: object, changes: Mapping[str, Any]) -> Changed:
    """Set ``changes`` on ``row`` and flush; returns what differed from before."""
    changed = {key: {"before": getattr(row, key), "after": value}
               for key, value in changes.items() if getattr(row, key) != value}
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    return changed


def update_recorded(session: Session, principal: Principal, project: Project, row: Any,
                    changes: Mapping[str, Any], *, entity_type: str, entity_name: str, what: str) -> Changed:
    """``apply_changes``, then one `<entity_type>.updated` activity entry naming the changed attributes
    (none when nothing changed). ``what`` names the row in the summary ("event type checkout")."""
    changed = apply_changes(session, row, changes)
    if changed:
        entity_id: uuid.UUID = row.id
        activity.record(session, project, actor=principal, kind=f"{entity_type}.updated", entity_type=entity_type,
                        entity_id=entity_id, entity_name=entity_name,
                        summary=f"Updated {what}: {', '.join(sorted(changed))}", details={"changes": changed})
    return changed
