"""The `summary` block of project responses: counts computed for many projects in a few queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.plan.plan_counts import plan_counts

# Each contributor adds its counts for a batch of projects with one grouped query (no query per project).
SummaryContributor = Callable[[Session, Sequence[uuid.UUID]], dict[uuid.UUID, dict[str, Any]]]


def project_summaries(session: Session, project_ids: Sequence[uuid.UUID],
                      contributors: Sequence[SummaryContributor]) -> dict[uuid.UUID, dict[str, Any]]:
    """The plan's own counts and those of each contributor the caller names (domains above the plan, such
    as observe's open drifts, are passed in: the plan does not import them)."""
    summaries: dict[uuid.UUID, dict[str, Any]] = {pid: {} for pid in project_ids}
    for contribute in (plan_counts, *contributors):
        for project_id, counts in contribute(session, project_ids).items():
            summaries[project_id].update(counts)
    return summaries
