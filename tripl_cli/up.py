"""`tripl up`: migrations, a first account and a demo project on a fresh workspace (bootstrap.py), then the
API, the Dagster webserver and the Dagster daemon, on embedded defaults."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import typer

from tripl_cli import bootstrap
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.demo.project import DemoProject
from tripl_core.errors import DomainError
from tripl_core.scans.launching import LaunchFailed
from tripl_core.settings import Settings


def up(host: str = typer.Option("127.0.0.1", help="Address the API and the Dagster UI listen on"),
       port: int = typer.Option(8000, help="API port"),
       dagster_port: int = typer.Option(3000, help="Dagster webserver port"),
       project_dir: Path = typer.Option(Path("."), help="Folder holding workspace.yaml and dagster.yaml"),
       demo: bool = typer.Option(True, help="Create the demo project when the workspace has no project")) -> None:
    """Run tripl: API (docs at /docs), Dagster UI and daemon. Ctrl-C stops everything."""
    settings = Settings()
    upgrade(settings.resolved_database_url)
    settings.resolved_secret_key  # noqa: B018 - generate the key file before child processes race for it
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    account = bootstrap.ensure_first_account(db, settings.state_dir)
    demo_project = bootstrap.ensure_demo_project(db, settings) if demo else None
    dagster_home = prepare_dagster_home(settings.state_dir, project_dir.resolve())
    workspace = project_dir.resolve() / "workspace.yaml"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "TRIPL_STATE_DIR": str(settings.state_dir)}
    bin_dir = Path(sys.executable).parent
    commands = {
        "dagster-webserver": [str(bin_dir / "dagster-webserver"), "-w", str(workspace), "-h", host,
                              "-p", str(dagster_port)],
        "dagster-daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
        "api": [sys.executable, "-m", "uvicorn", "tripl_cli.app:create_configured_app", "--factory", "--host", host,
                "--port", str(port), "--no-proxy-headers"],
    }
    dagster_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_env = {**env, "TRIPL_DAGSTER_URL": f"http://{dagster_host}:{dagster_port}"}  # runs go through Dagster
    processes = {name: subprocess.Popen(cmd, env=api_env if name == "api" else env)
                 for name, cmd in commands.items()}
    typer.echo(f"tripl is starting (state in {settings.state_dir}):\n"
               f"  API          http://{host}:{port}/api/v1\n"
               f"  API docs     http://{host}:{port}/docs\n"
               f"  Dagster UI   http://{host}:{dagster_port}\n"
               + _sign_in_text(account) + _demo_text(demo_project) + "Ctrl-C stops everything.")
    if demo_project is not None:
        threading.Thread(target=_first_scan, args=(db, api_env["TRIPL_DAGSTER_URL"], demo_project),
                         name="tripl-demo-scan", daemon=True).start()
    try:
        _supervise(processes)
    finally:
        db.dispose()


def _sign_in_text(account: bootstrap.FirstAccount | None) -> str:
    if account is None:
        return "Sign in with your account (POST /api/v1/auth/login, or from /docs).\n"
    if account.password is None:
        return f"Sign in as {account.email}; its generated password is in {account.file}.\n"
    return (f"First account (workspace owner), also saved in {account.file}:\n"
            f"  email        {account.email}\n"
            f"  password     {account.password}\n"
            "Sign in with POST /api/v1/auth/login (or from /docs).\n")


def _demo_text(demo: DemoProject | None) -> str:
    if demo is None:
        return ""
    return (f"Demo project '{demo.project.slug}' created on a generated warehouse ({demo.cases.row_count:,} events "
            f"in {demo.data_source.path}); its first scan starts once Dagster is up.\n")


def _first_scan(db: Database, dagster_url: str, demo: DemoProject) -> None:
    try:
        job = bootstrap.launch_when_ready(db, dagster_url, demo)
    except (LaunchFailed, RuntimeError, DomainError) as error:  # e.g. a scheduled run got there first (409)
        typer.echo(f"The demo project's first scan was not started: {error}", err=True)
        return
    outcome = f"failed to start: {job.error_message}" if job.error_message else "started"
    typer.echo(f"Demo project '{demo.project.slug}': first scan job {job.id} {outcome}.")


def prepare_dagster_home(state_dir: Path, project_dir: Path) -> Path:
    """DAGSTER_HOME lives in the state dir; its dagster.yaml is the project's."""
    home = state_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    source = project_dir / "dagster.yaml"
    if not source.exists():
        raise typer.BadParameter(f"{source} not found; run from the repository root or pass --project-dir")
    shutil.copyfile(source, home / "dagster.yaml")
    return home


def _supervise(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                typer.echo(f"{name} exited with code {process.returncode}; stopping tripl", err=True)
                exit_code = process.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    raise typer.Exit(exit_code)
