"""The one entry Dagster loads (workspace.yaml, `dagster dev -m tripl_pipelines.definitions`).

It holds what exists so far: the resources every asset will use. Assets, sensors, schedules and jobs
are added here as the scans, metrics and alerting issues land."""

from __future__ import annotations

from dagster import Definitions

from tripl_pipelines.resources import AppDatabase

defs = Definitions(resources={"app_db": AppDatabase()})
