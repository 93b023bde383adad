"""The partition sensor keeps `scan_configs` partitions equal to the app database; the run status sensors
end the job rows of runs that failed or were terminated without saying so, and the row of a run that
succeeded but left it open."""

from __future__ import annotations

import uuid

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    SensorResult,
    build_run_status_sensor_context,
    build_sensor_context,
    job,
    op,
)
from sqlalchemy import select

from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.sources.models import DataSource
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase
from tripl_pipelines.sensors import (
    job_rows_of_lost_runs,
    job_rows_on_failure,
    job_rows_on_success,
    scan_config_partitions,
)


def _config(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    with db.unit_of_work() as session:
        project = Project(name="Shop", slug=f"shop{uuid.uuid4().hex[:6]}")
        source = DataSource(name=f"lake{uuid.uuid4().hex[:6]}", db_type="chdb", path="/tmp")
        session.add_all([project, source])
        session.flush()
        config = ScanConfig(project_id=project.id, data_source_id=source.id, name="events",
                            base_query="SELECT 1 AS x", event_type_column="x")
        session.add(config)
        session.flush()
        return config.id, project.id


def _evaluate(instance: DagsterInstance, sensor: object, url: str) -> object:
    with build_sensor_context(instance=instance, resources={"app_db": AppDatabase(database_url=url)}) as context:
        return sensor(context)  # type: ignore[operator]


def test_partitions_follow_the_scan_configs(db: Database, database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(scan_configs.name, ["stale"])
    config_id, _ = _config(db)
    result = _evaluate(instance, scan_config_partitions, database_url)
    assert isinstance(result, SensorResult)
    adds, deletes = result.dynamic_partitions_requests
    assert list(adds.partition_keys) == [str(config_id)]
    assert list(deletes.partition_keys) == ["stale"]
    instance.add_dynamic_partitions(scan_configs.name, [str(config_id)])
    instance.delete_dynamic_partition(scan_configs.name, "stale")
    assert not isinstance(_evaluate(instance, scan_config_partitions, database_url), SensorResult)


@op
def crash() -> None:
    raise RuntimeError("warehouse went away")


@job
def crashing() -> None:
    crash()


@op
def fine() -> None:
    pass


@job
def succeeding() -> None:
    fine()


def _run_ended(instance: DagsterInstance, sensor: object, run_id: str, event_type: DagsterEventType,
               url: str) -> None:
    """Evaluate a run status sensor on the event that ended `run_id`, as the daemon does."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    [ended] = instance.all_logs(run_id, of_type=event_type)
    assert ended.dagster_event is not None
    context = build_run_status_sensor_context(sensor_name=sensor.name, dagster_event=ended.dagster_event,  # type: ignore[attr-defined]
                                              dagster_instance=instance, dagster_run=run,
                                              resources={"app_db": AppDatabase(database_url=url)})
    if event_type is DagsterEventType.RUN_FAILURE:
        context = context.for_run_failure()
    with context:
        sensor(context)  # type: ignore[operator]


def test_a_failed_run_is_mirrored_to_its_job_row(db: Database, database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    failed = crashing.execute_in_process(instance=instance, raise_on_error=False)
    assert instance.get_run_by_id(failed.run_id).status is DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    config_id, project_id = _config(db)
    with db.unit_of_work() as session:
        row = Job(kind="scan", project_id=project_id, scan_config_id=config_id, status=JobStatus.running.value,
                  external_run_id=failed.run_id)
        other = Job(kind="scan", project_id=project_id, scan_config_id=config_id, status=JobStatus.running.value,
                    external_run_id="another-run")
        session.add_all([row, other])
    _run_ended(instance, job_rows_on_failure, failed.run_id, DagsterEventType.RUN_FAILURE, database_url)
    with db.unit_of_work() as session:
        jobs = {j.external_run_id: j for j in session.scalars(select(Job))}
    assert jobs[failed.run_id].status == "failed"
    assert "warehouse went away" in (jobs[failed.run_id].error_message or "")
    assert jobs["another-run"].status == "running"  # only the rows of the run that ended


def test_a_successful_run_ends_the_row_it_left_open_with_its_summary(db: Database, database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    done = succeeding.execute_in_process(instance=instance)
    config_id, project_id = _config(db)
    with db.unit_of_work() as session:
        open_row = Job(kind="replay", project_id=project_id, scan_config_id=config_id, external_run_id=done.run_id,
                       status=JobStatus.running.value, result_summary={"chunks": 4, "chunks_done": 4})
        session.add(open_row)
    _run_ended(instance, job_rows_on_success, done.run_id, DagsterEventType.RUN_SUCCESS, database_url)
    with db.unit_of_work() as session:
        ended = session.scalar(select(Job).where(Job.external_run_id == done.run_id))
        assert ended is not None
        assert (ended.status, ended.result_summary) == ("succeeded", {"chunks": 4, "chunks_done": 4})


def test_rows_of_runs_dagster_no_longer_knows_end_failed(db: Database, database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    known = succeeding.execute_in_process(instance=instance)
    config_id, project_id = _config(db)
    with db.unit_of_work() as session:
        session.add_all([Job(kind="scan", project_id=project_id, scan_config_id=config_id,
                             status=JobStatus.running.value, external_run_id=known.run_id),
                         Job(kind="scan", project_id=project_id, scan_config_id=config_id,
                             status=JobStatus.pending.value, external_run_id="no-such-run")])
    _evaluate(instance, job_rows_of_lost_runs, database_url)
    with db.unit_of_work() as session:
        jobs = {j.external_run_id: j for j in session.scalars(select(Job))}
    assert (jobs["no-such-run"].status, jobs["no-such-run"].error_message) == \
        ("failed", "The Dagster run no longer exists")
    assert jobs[known.run_id].status == "running"  # its run exists: its events will end it
