"""`tripl up`: migrations, a first account and a demo project on a fresh workspace (bootstrap.py), the Dagster
storage created once (tripl_pipelines.instance), then the Dagster code server (code_servers.py), the API, the
Dagster webserver and the Dagster daemon under a supervisor (supervisor.py); once the API and the webserver
answer, the stack is recorded in the state dir (stack.py) and every project never scanned gets its first scan.
SIGTERM or Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tripl_cli import code_servers, stack
from tripl_cli.supervisor import Child, Supervisor

if TYPE_CHECKING:  # loaded by `tripl up` when it runs, not by every `tripl` command (see up() below)
    from tripl_cli.bootstrap import FirstAccount
    from tripl_core.db.engine import Database
    from tripl_core.demo.project import DemoProject
    from tripl_core.settings import Settings

READY_SECONDS = 180.0


def up(host: str = typer.Option("127.0.0.1", help="Address the API and the Dagster UI listen on"),
       port: int = typer.Option(8000, help="API port"),
       dagster_port: int = typer.Option(3000, help="Dagster webserver port"),
       project_dir: Path = typer.Option(Path("."), help="Folder holding workspace.yaml and dagster.yaml"),
       demo: bool = typer.Option(True, help="Create the demo project when the workspace has no project"),
       verbose: bool = typer.Option(False, "--verbose", help="Dagster's INFO logs too (sensor ticks, "
                                    "code servers); by default only warnings and tripl's own lines")) -> None:
    """Run tripl: API (docs at /docs), Dagster UI and daemon. Ctrl-C (or SIGTERM) stops everything."""
    from tripl_cli import bootstrap
    from tripl_core.ai import search_composition
    from tripl_core.db.engine import Database
    from tripl_core.db.migrate import upgrade
    from tripl_core.security import SecretBox
    from tripl_core.settings import Settings

    settings = Settings()
    project_dir = project_dir.resolve()
    for needed in ("dagster.yaml", "workspace.yaml"):
        if not (project_dir / needed).exists():
            raise typer.BadParameter(f"{project_dir / needed} not found; run from the repository root or pass "
                                     "--project-dir")
    upgrade(settings.resolved_database_url)
    settings.resolved_secret_key  # noqa: B018 - generate the key file before child processes race for it
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    # the demo plan is searchable at once
    search_composition.compose(db, settings, SecretBox(settings.resolved_secret_key))
    try:
        account = bootstrap.ensure_first_account(db, settings.state_dir)
        demo_project = bootstrap.ensure_demo_project(db, settings) if demo else None
        from tripl_pipelines.instance import initialise_storage  # imports Dagster: only for `tripl up`

        env = _dagster_env(settings, project_dir)
        initialise_storage(Path(env["DAGSTER_HOME"]))
        dagster_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        api_host = dagster_host
        urls = stack.Stack(os.getpid(), f"http://{api_host}:{port}", f"http://{dagster_host}:{dagster_port}")
        supervisor = Supervisor(_children(env, project_dir / "workspace.yaml", host, port, dagster_port,
                                          urls.dagster_url, verbose), echo=_err)
        supervisor.start()
        typer.echo(f"tripl is starting (state in {settings.state_dir}):\n"
                   f"  API          http://{host}:{port}/api/v1\n"
                   f"  API docs     http://{host}:{port}/docs\n"
                   f"  Dagster UI   http://{host}:{dagster_port}\n"
                   + _sign_in_text(account) + _demo_text(demo_project) + "Ctrl-C stops everything.")
        readiness = _Readiness(urls, settings, db)
        try:
            supervisor.watch(on_tick=readiness.check)
        finally:
            supervisor.stop()
            stack.remove(settings.state_dir, urls.pid)
    finally:
        db.dispose()
    if supervisor.failure:
        _err(supervisor.failure)
        raise typer.Exit(1)
    typer.echo("tripl stopped.")


def _dagster_env(settings: Settings, project_dir: Path) -> dict[str, str]:
    from tripl_pipelines.instance import POSTGRES_URL_ENV, postgres_storage_url, prepare_home

    postgres = os.environ.get(POSTGRES_URL_ENV)
    env = {**os.environ, "TRIPL_STATE_DIR": str(settings.state_dir)}
    if postgres:
        env[POSTGRES_URL_ENV] = postgres_storage_url(postgres)
        os.environ[POSTGRES_URL_ENV] = env[POSTGRES_URL_ENV]  # read by the storage set-up in this process
    env["DAGSTER_HOME"] = str(prepare_home(settings.state_dir, project_dir / "dagster.yaml",
                                           env.get(POSTGRES_URL_ENV)))
    return env


def _children(env: dict[str, str], workspace: Path, host: str, port: int, dagster_port: int, dagster_url: str,
              verbose: bool) -> list[Child]:
    bin_dir = Path(sys.executable).parent
    level = "info" if verbose else "warning"
    shared = code_servers.share(workspace, Path(env["DAGSTER_HOME"]), level)
    api_env = {**env, "TRIPL_DAGSTER_URL": dagster_url}  # runs go through this stack's Dagster
    return [
        *(Child(f"code server {server.location}", server.command, env, ready=server.ready)
          for server in shared.servers),
        Child("dagster-webserver", [str(bin_dir / "dagster-webserver"), "-w", str(shared.workspace), "-h", host,
                                    "-p", str(dagster_port), "--dagster-log-level", level,
                                    "--code-server-log-level", level], env),
        Child("dagster-daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", str(shared.workspace),
                                 "--log-level", level, "--code-server-log-level", level], env),
        Child("api", [sys.executable, "-m", "uvicorn", "tripl_cli.app:create_configured_app", "--factory",
                      "--host", host, "--port", str(port), "--log-level", level,
                      "--no-proxy-headers"], api_env),
    ]


class _Readiness:
    """Polled by the supervisor's loop: once the API and the Dagster code location answer, says so once,
    records the stack in the state dir and starts the first scans in the background."""

    def __init__(self, urls: stack.Stack, settings: Settings, db: Database) -> None:
        self.urls, self.settings, self.db = urls, settings, db
        self.ready = False
        self.started = time.monotonic()
        self.next_check = 0.0
        self.warned = False

    def check(self) -> None:
        if self.ready or time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + 1.0
        if not (_answers(self.urls.api_url + "/healthz") and _answers(self.urls.dagster_url + "/server_info")):
            if not self.warned and time.monotonic() - self.started > READY_SECONDS:
                self.warned = True
                _err(f"tripl is not ready after {READY_SECONDS:.0f} s (API {self.urls.api_url}, Dagster "
                     f"{self.urls.dagster_url}); still waiting")
            return
        self.ready = True
        stack.write(self.settings.state_dir, self.urls)
        typer.echo(f"tripl is ready ({time.monotonic() - self.started:.0f} s).")
        threading.Thread(target=_first_scans, args=(self.db, self.urls.dagster_url), name="tripl-first-scans",
                         daemon=True).start()


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _first_scans(db: Database, dagster_url: str) -> None:
    from tripl_cli import bootstrap
    from tripl_core.errors import DomainError
    from tripl_core.jobs.launch import LaunchFailed

    try:
        started = bootstrap.launch_first_scans(db, dagster_url)
    except (LaunchFailed, DomainError) as error:  # e.g. a scheduled run got there first (409)
        _err(f"A first scan was not started: {getattr(error, 'message', error)}")
        return
    except Exception as error:  # a background thread: say what happened rather than die silently
        _err(f"First scans not started: {type(error).__name__}: {error}")
        return
    for slug, job in started:
        outcome = f"failed to start: {job.error_message}" if job.error_message else "started"
        typer.echo(f"Project '{slug}': first scan job {job.id} {outcome}.")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _sign_in_text(account: FirstAccount | None) -> str:
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
