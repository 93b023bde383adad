"""Jobs as the jobs endpoints return them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from tripl_core.scans.schemas import ScanJobOut


class JobListItem(ScanJobOut):
    """Any run with its window, Dagster run id and retry links. `needs_attention`: failed and neither
    retried successfully nor dismissed (a failed scheduled window stays listed until then)."""

    project_id: uuid.UUID
    time_from: datetime | None
    time_to: datetime | None
    external_run_id: str | None
    retry_of_id: uuid.UUID | None
    retried_by_id: uuid.UUID | None = None
    resolution: str | None
    resolved_at: datetime | None
    needs_attention: bool = False


class JobPage(BaseModel):
    items: list[JobListItem]
    next_cursor: str | None
