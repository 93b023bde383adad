"""Reading a job row back as it was committed."""

from __future__ import annotations

import uuid

from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job


def stored_job(db: Database, job_id: uuid.UUID) -> Job:
    """The job's committed row, detached from its session."""
    with db.unit_of_work() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job
