"""Waiting for a run of the in-process launcher: join its thread instead of polling Get Scan Job every 50 ms
(each poll is a request whose CPU competes with the run for the interpreter), then read the finished job
through the API once, as a client would."""

from __future__ import annotations

import uuid
from typing import Any

from tests.scans.support import wait_for_scan_job
from tests.support.workspace import Workspace
from tripl_core.jobs.models import Job
from tripl_pipelines.launcher import InProcessLauncher


def finished_job(ws: Workspace, launcher: InProcessLauncher, scan: dict[str, Any], job_id: str,
                 slug: str = "shop") -> dict[str, Any]:
    with ws.db.unit_of_work() as session:
        job = session.get(Job, uuid.UUID(job_id))
        assert job is not None
        assert job.external_run_id, f"job {job_id} was not launched"
        run_id = job.external_run_id
    assert launcher.wait(run_id, timeout=300), f"run {run_id} still going after 300 s"
    return wait_for_scan_job(ws.viewer, scan, job_id, slug)  # finished: answered by the first request
