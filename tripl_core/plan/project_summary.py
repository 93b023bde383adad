"""The `summary` block of project responses: counts computed for many projects in a few queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

# Each contributor adds its counts for a batch of projects with one grouped query (no query per project).
SummaryContributor = Callable[[Session, Sequence[uuid.UUID]], dict[uuid.UUID, dict[str, Any]]]
CONTRIBUTORS: list[SummaryContributor] = []


def project_summaries(session: Session, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    summaries: dict[uuid.UUID, dict[str, Any]] = {pid: {} for pid in project_ids}
    for contribute in CONTRIBUTORS:
        for project_id, counts in contribute(session, project_ids).items():
            summaries[project_id].update(counts)
    return summaries
