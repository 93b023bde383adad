"""`tripl scans run PROJECT_SLUG SCAN [--wait]`: a scan on the one Dagster of the deployment — the webserver at
TRIPL_DAGSTER_URL, else the `tripl up` running on this state dir (stack.json) — so the run shows in its UI
and its sensors follow it. With `--in-process` (asked for, never a fallback) the run executes here on a
throwaway instance, and the command always waits: the run lives in this process.

The app's services are imported when the command runs, so `tripl` loads them only for it."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from tripl_core.db.engine import Database
    from tripl_core.jobs.launch import RunLauncher

app = typer.Typer(help="Scans of a project's warehouse.", no_args_is_help=True)


@app.command("run")
def run(project_slug: str = typer.Argument(..., help="The project's slug"),
        scan: str = typer.Argument(..., help="The scan config's id or name"),
        wait: bool = typer.Option(False, "--wait", help="Wait for the job to finish"),
        timeout: float = typer.Option(3600.0, help="Seconds --wait waits at most"),
        in_process: bool = typer.Option(False, "--in-process", help="Run in this process on a throwaway "
                                        "Dagster instance instead of the running stack's")) -> None:
    """Run a catalog scan and print its job (with the result summary) as JSON; exit 1 if it failed."""
    from tripl_cli import stack
    from tripl_cli.launchers import configured_launcher
    from tripl_core.db.engine import Database
    from tripl_core.errors import DomainError
    from tripl_core.jobs.models import Job, JobStatus
    from tripl_core.scans.schemas import ScanJobOut
    from tripl_core.settings import Settings

    settings = Settings()
    dagster_url = None if in_process else stack.dagster_url(settings)
    if not in_process and dagster_url is None:
        typer.echo(f"error: no running `tripl up` found for the state dir {settings.state_dir} and "
                   "TRIPL_DAGSTER_URL is not set; start `tripl up`, point TRIPL_DAGSTER_URL at the Dagster "
                   "webserver, or pass --in-process", err=True)
        raise typer.Exit(2)
    launcher = configured_launcher(settings.model_copy(update={"dagster_url": dagster_url}))
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        job_id = _start(db, launcher, project_slug, scan)
        if wait or in_process:
            _wait(db, launcher, job_id, timeout, in_process=in_process)
        with db.unit_of_work() as session:
            job = session.get(Job, job_id)
            assert job is not None
            typer.echo(json.dumps(ScanJobOut.model_validate(job).model_dump(mode="json"), indent=2))
            failed = job.status == JobStatus.failed
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        launcher.close()  # an in-process run's thread ends its job row before the command returns
        db.dispose()
    if failed:
        raise typer.Exit(1)


def _start(db: Database, launcher: RunLauncher, project_slug: str, scan: str) -> uuid.UUID:
    from tripl_core.jobs.launch import launch
    from tripl_core.jobs.models import JobKind
    from tripl_core.plan import projects
    from tripl_core.scans import configs, runs

    with db.unit_of_work() as session:
        project = projects.get_by_slug(session, project_slug)
        job = runs.enqueue(session, None, project, configs.find(session, project, scan), JobKind.scan)
        return launch(session, launcher, job).id


def _wait(db: Database, launcher: RunLauncher, job_id: uuid.UUID, timeout: float, *, in_process: bool) -> None:
    from tripl_core.jobs.launch import refresh
    from tripl_core.jobs.models import Job, JobStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.unit_of_work() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job = refresh(launcher, job)
            if JobStatus(job.status).finished:
                return
        time.sleep(0.2 if in_process else 1.0)
    typer.echo(f"error: job {job_id} did not finish within {timeout:.0f} s", err=True)
    raise typer.Exit(1)
