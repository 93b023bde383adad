"""Fixtures for tests that run scans: the in-process Dagster launcher and an app that uses it.

Modules import them by name (`from tests.support.launching import client, launcher`), which replaces the
plain `client` of tests/conftest.py for that module. The Dagster instance behind the launcher is the
module's (`dagster_instance` in tests/conftest.py): its storage is created once per module, and each test's
runs are told apart by their own run ids and scan-config partitions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from tripl_api.main import create_app
from tripl_core.settings import Settings
from tripl_pipelines.launcher import InProcessLauncher


@pytest.fixture
def launcher(settings: Settings, dagster_instance: DagsterInstance) -> Iterator[InProcessLauncher]:
    in_process = InProcessLauncher(settings.resolved_database_url, settings.resolved_secret_key, dagster_instance)
    yield in_process
    in_process.close()


@pytest.fixture
def client(settings: Settings, launcher: InProcessLauncher) -> Iterator[TestClient]:
    with TestClient(create_app(settings, launcher)) as test_client:
        yield test_client
