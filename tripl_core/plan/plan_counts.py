"""The plan's part of project summaries: event types, events by status, variables (main branch)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.plan.models import Branch, BranchKind, Event, EventStatus, EventType, Variable


def plan_counts(session: Session, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    out: dict[uuid.UUID, dict[str, Any]] = {
        pid: {"event_types": 0, "events": 0, "events_by_status": {s.value: 0 for s in EventStatus},
              "variables": 0} for pid in project_ids}
    if not project_ids:
        return out
    main = (select(Branch.id).where(Branch.project_id.in_(project_ids), Branch.kind == BranchKind.main.value)
            .scalar_subquery())
    for model, key in ((EventType, "event_types"), (Variable, "variables")):
        for project_id, count in session.execute(select(model.project_id, func.count()).where(model.branch_id.in_(main))
                                                 .group_by(model.project_id)):
            out[project_id][key] = count
    for project_id, status, count in session.execute(
            select(Event.project_id, Event.status, func.count()).where(Event.branch_id.in_(main))
            .group_by(Event.project_id, Event.status)):
        out[project_id]["events_by_status"][status] = count
        out[project_id]["events"] += count
    return out
