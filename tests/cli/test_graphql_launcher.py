"""The Dagster GraphQL launcher waits (bounded) for a webserver that is still starting."""

from __future__ import annotations

import socket

import pytest

from tripl_api.runs import DagsterGraphQLLauncher
from tripl_core.jobs.launch import LaunchFailed


def test_an_absent_webserver_fails_after_the_grace_period_naming_it() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    naps: list[float] = []
    launcher = DagsterGraphQLLauncher(f"http://127.0.0.1:{port}", startup_grace_seconds=0, sleep=naps.append)
    with pytest.raises(LaunchFailed, match=f"127.0.0.1:{port}/graphql did not serve the tripl code location"):
        launcher.wait_until_ready()
    launcher.close()
    assert naps == []  # no grace left: it answers at once instead of sleeping
