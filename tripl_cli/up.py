"""`tripl up`: migrations, then the API, the Dagster webserver and the Dagster daemon, on embedded defaults."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from tripl_core.db.migrate import upgrade
from tripl_core.settings import Settings


def up(host: str = typer.Option("127.0.0.1", help="Address the API and the Dagster UI listen on"),
       port: int = typer.Option(8000, help="API port"),
       dagster_port: int = typer.Option(3000, help="Dagster webserver port"),
       project_dir: Path = typer.Option(Path("."), help="Folder holding workspace.yaml and dagster.yaml")) -> None:
    """Run tripl: API (docs at /docs), Dagster UI and daemon. Ctrl-C stops everything."""
    settings = Settings()
    upgrade(settings.resolved_database_url)
    settings.resolved_secret_key  # noqa: B018 - generate the key file before child processes race for it
    dagster_home = prepare_dagster_home(settings.state_dir, project_dir.resolve())
    workspace = project_dir.resolve() / "workspace.yaml"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "TRIPL_STATE_DIR": str(settings.state_dir)}
    bin_dir = Path(sys.executable).parent
    commands = {
        "dagster-webserver": [str(bin_dir / "dagster-webserver"), "-w", str(workspace), "-h", host,
                              "-p", str(dagster_port)],
        "dagster-daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
        "api": [sys.executable, "-m", "uvicorn", "tripl_cli.app:create_configured_app", "--factory", "--host", host,
                "--port", str(port)],
    }
    dagster_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_env = {**env, "TRIPL_DAGSTER_URL": f"http://{dagster_host}:{dagster_port}"}  # runs go through Dagster
    processes = {name: subprocess.Popen(cmd, env=api_env if name == "api" else env)
                 for name, cmd in commands.items()}
    typer.echo(f"tripl is starting (state in {settings.state_dir}):\n"
               f"  API          http://{host}:{port}/api/v1\n"
               f"  API docs     http://{host}:{port}/docs\n"
               f"  Dagster UI   http://{host}:{dagster_port}\n"
               "Register the first account (it becomes the owner): POST /api/v1/auth/register, or use /docs.\n"
               "Ctrl-C stops everything.")
    _supervise(processes)


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
