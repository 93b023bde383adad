"""The Dagster job names and run tags the launchers (`tripl_core.jobs.launch.RunLauncher`) and the
pipelines agree on."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from tripl_core.jobs.launch import LaunchFailed
from tripl_core.jobs.models import Job, JobKind
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

# Dagster job per job kind; the partition key is the scan config id.
METRICS_JOB = "scan_metrics"
DAGSTER_JOBS: dict[str, str] = {JobKind.scan.value: "catalog_scan", JobKind.apply_groups.value: "apply_event_groups",
                                 JobKind.replay.value: "replay_scan_metrics", JobKind.metrics.value: METRICS_JOB}
# Scheduled metrics collections are requested by a sensor; their window rides on two tags, and their job
# row is made by the run itself (a retry launched from the API brings its own, named by JOB_ID_TAG).
TIME_FROM_TAG = "tripl/time_from"
TIME_TO_TAG = "tripl/time_to"
PARTITIONS = "scan_configs"
JOB_ID_TAG = "tripl/job_id"
KIND_TAG = "tripl/kind"
PROJECT_TAG = "tripl/project_id"
# Readable in the Dagster UI's run list (partition keys are scan config UUIDs); the run queue limits
# concurrency per project on PROJECT_SLUG_TAG (dagster.yaml).
PROJECT_SLUG_TAG = "tripl/project"
SCAN_NAME_TAG = "tripl/scan"
# Runs that write a scan config's metrics (scheduled collections, replays) carry its id here; dagster.yaml
# lets one such run per config go at a time, since two would replace overlapping windows concurrently.
COLLECTION_TAG = "tripl/collection"


# Every run's console logger at INFO: run workers write to the output of `tripl up`, which then carries the
# runs' own log lines and failures rather than ~15 DEBUG engine events per step (all still stored in the
# run's event log). Given with each launch (GraphQL, sensor requests) and as the jobs' default config.
RUN_CONFIG: dict[str, object] = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# The metrics window is typed run config of every step of the jobs that collect metrics (Dagster's
# `MetricsWindow` config, tripl_pipelines/config.py): the same for the schedule's runs, a retry or replay
# launched from the API, and a launch from the Dagster UI.
METRICS_STEPS = ("event_metrics", "anomaly_signals", "distribution_drifts", "release_regressions")
WINDOW_STEPS: dict[str, tuple[str, ...]] = {METRICS_JOB: (*METRICS_STEPS, "alert_fanout"),
                                            DAGSTER_JOBS[JobKind.replay.value]: METRICS_STEPS}


def run_tags(job: Job) -> dict[str, str]:
    tags = {JOB_ID_TAG: str(job.id), KIND_TAG: job.kind, PROJECT_TAG: str(job.project_id)}
    if job.time_from is not None and job.time_to is not None:
        tags.update({TIME_FROM_TAG: job.time_from.isoformat(), TIME_TO_TAG: job.time_to.isoformat()})
    if job.kind in (JobKind.replay.value, JobKind.metrics.value) and job.scan_config_id is not None:
        tags[COLLECTION_TAG] = str(job.scan_config_id)
    session = object_session(job)
    if session is not None:
        return {**tags, **readable_tags(session, job.project_id, job.scan_config_id)}
    return tags


def readable_tags(session: Session, project_id: uuid.UUID, scan_config_id: uuid.UUID | None) -> dict[str, str]:
    """The project's slug and the scan config's name as run tags."""
    tags = {}
    slug = session.scalar(select(Project.slug).where(Project.id == project_id))
    if slug:
        tags[PROJECT_SLUG_TAG] = slug
    if scan_config_id is not None:
        name = session.scalar(select(ScanConfig.name).where(ScanConfig.id == scan_config_id))
        if name:
            tags[SCAN_NAME_TAG] = name[:200]
    return tags


def window_run_config(dagster_job: str, time_from: datetime, time_to: datetime) -> dict[str, object]:
    """The run config of `dagster_job` over [time_from, time_to): each of its steps gets the window."""
    window = {"time_from": time_from.isoformat(), "time_to": time_to.isoformat()}
    return {**RUN_CONFIG, "ops": {step: {"config": window} for step in WINDOW_STEPS[dagster_job]}}


def run_config(job: Job) -> dict[str, object]:
    """The run config a launch of `job` gives Dagster: its window (a metrics retry, a replay) when it has one."""
    name = dagster_job_name(job)
    params = job.params or {}
    time_from = job.time_from or _moment(params.get("time_from"))
    time_to = job.time_to or _moment(params.get("time_to"))
    if name not in WINDOW_STEPS or time_from is None or time_to is None:
        return dict(RUN_CONFIG)
    return window_run_config(name, time_from, time_to)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def dagster_job_name(job: Job) -> str:
    try:
        return DAGSTER_JOBS[job.kind]
    except KeyError:
        raise LaunchFailed(f"Jobs of kind '{job.kind}' do not run on Dagster") from None


def partition_key(job: Job) -> str:
    if job.scan_config_id is None:
        raise LaunchFailed("The job's scan config was deleted")
    return str(job.scan_config_id)


def job_id_from_tags(tags: Mapping[str, str]) -> uuid.UUID | None:
    raw = tags.get(JOB_ID_TAG)
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
