"""Replay Scan Metrics (tag `scans`): an editor queues a replay job of a scan config's metrics."""

from __future__ import annotations

import uuid

from tripl_api.deps import CurrentPrincipal, DbSession, ProjectWriter, State
from tripl_api.routing import api_router
from tripl_core.jobs.launch import launch
from tripl_core.jobs.models import JobKind
from tripl_core.metrics import replay
from tripl_core.metrics.schemas import ReplayRequest
from tripl_core.scans import configs, runs
from tripl_core.scans.schemas import ScanJobOut

router = api_router("scans", "/projects/{slug}/scans")


@router.post("/{scan_id}/metrics/replay", response_model=ScanJobOut, status_code=202)
def replay_scan_metrics(scan_id: uuid.UUID, body: ReplayRequest, project: ProjectWriter, principal: CurrentPrincipal,
                        session: DbSession, state: State) -> ScanJobOut:
    """Recompute [time_from, time_to) (ending at or before the last complete interval) chunk by chunk as a
    job of kind replay; poll Get Scan Job. 409 while another scan of the project runs."""
    config = configs.get(session, project, scan_id)
    params = replay.validate(config, body.time_from, body.time_to)
    job = runs.enqueue(session, principal, project, config, JobKind.replay)
    job.params = params
    return ScanJobOut.model_validate(launch(session, state.launcher, job))
