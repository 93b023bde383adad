"""The one entry Dagster loads (workspace.yaml, `dagster dev -m tripl_pipelines.definitions`).

`defs` binds the resources to the TRIPL_* environment (`resources.from_environment`); `build_definitions`
lets the in-process launcher and the tests bind them to their own app database and secret key.

Every job runs its steps in the run's own process (`in_process_executor`). Dagster's default executor starts
a Python process per step, and each one imports Dagster and tripl again before it does anything: a metrics
run (five steps) paid six imports instead of one and a catalog scan two, most of a run's CPU and tens of
seconds of its wall time on a loaded 2-core machine. Only three steps of a metrics run could ever overlap
(after `event_metrics`, before `alert_fanout`), and on the small machines `tripl up` targets they competed
for the cores the imports took. Step-level fan-out belongs to the deployment (docs/deploy.md)."""

from __future__ import annotations

from dagster import ConfigurableResource, Definitions, in_process_executor

from tripl_pipelines.assets.alerts import alert_fanout
from tripl_pipelines.assets.catalog import catalog
from tripl_pipelines.assets.metrics import METRICS_ASSETS
from tripl_pipelines.assets.photos import photo_files
from tripl_pipelines.assets.search import search_index
from tripl_pipelines.jobs import ASSET_JOBS, OP_JOBS
from tripl_pipelines.resources import AlertOutbound, AppDatabase, AppSecrets, PhotoStorage, from_environment
from tripl_pipelines.schedules import SCHEDULES
from tripl_pipelines.sensors import SENSORS


def build_definitions(app_db: AppDatabase | None = None, app_secrets: AppSecrets | None = None,
                      alert_outbound: AlertOutbound | None = None,
                      photo_storage: PhotoStorage | None = None) -> Definitions:
    resources: dict[str, ConfigurableResource] = from_environment()
    given = {"app_db": app_db, "app_secrets": app_secrets, "alert_outbound": alert_outbound,
             "photo_storage": photo_storage}
    resources.update({name: resource for name, resource in given.items() if resource is not None})
    return Definitions(assets=[catalog, *METRICS_ASSETS, alert_fanout, photo_files, search_index],
                       jobs=[*ASSET_JOBS, *OP_JOBS], sensors=SENSORS, schedules=SCHEDULES, resources=resources,
                       executor=in_process_executor)


defs = build_definitions()
