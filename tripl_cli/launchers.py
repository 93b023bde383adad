"""Where scan runs go when the `tripl` command starts them: through the Dagster webserver at
TRIPL_DAGSTER_URL (what `tripl up` sets), else in this process. Kept apart from the served app
(tripl_cli/app.py) so that commands which only launch runs do not import the whole API."""

from __future__ import annotations

from typing import Protocol

from tripl_api.runs import DagsterGraphQLLauncher
from tripl_core.jobs.launch import RunLauncher
from tripl_core.settings import Settings


class CommandLauncher(RunLauncher, Protocol):
    def close(self) -> None:
        """Release the launcher; the in-process one first waits for the runs it started to end."""


def configured_launcher(settings: Settings) -> CommandLauncher:
    if settings.dagster_url:
        return DagsterGraphQLLauncher(settings.dagster_url)
    from tripl_pipelines.launcher import InProcessLauncher  # imports Dagster: only when it runs here

    return InProcessLauncher(settings.resolved_database_url, settings.resolved_secret_key)
