"""The partition sensor keeps `scan_configs` partitions equal to the app database; the job status
sensor ends job rows whose Dagster run failed without saying so."""

from __future__ import annotations

import uuid

from dagster import DagsterInstance, SensorResult, build_sensor_context, job, op
from sqlalchemy import select

from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.sources.models import DataSource
from tripl_pipelines.partitions import scan_configs
from tripl_pipelines.resources import AppDatabase
from tripl_pipelines.sensors import scan_config_partitions, scan_job_status


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
    context = build_sensor_context(instance=instance, resources={"app_db": AppDatabase(database_url=url)})
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


def test_failed_runs_end_their_jobs_with_the_error(db: Database, database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    failed = crashing.execute_in_process(instance=instance, raise_on_error=False)
    config_id, project_id = _config(db)
    with db.unit_of_work() as session:
        row = Job(kind="scan", project_id=project_id, scan_config_id=config_id, status=JobStatus.running.value,
                  external_run_id=failed.run_id)
        gone = Job(kind="scan", project_id=project_id, scan_config_id=config_id, status=JobStatus.pending.value,
                   external_run_id="no-such-run")
        session.add_all([row, gone])
    _evaluate(instance, scan_job_status, database_url)
    with db.unit_of_work() as session:
        jobs = {j.external_run_id: j for j in session.scalars(select(Job))}
    assert jobs[failed.run_id].status == "failed"
    assert "warehouse went away" in (jobs[failed.run_id].error_message or "")
    assert jobs["no-such-run"].status == "failed"
