"""`tripl dagster init`: the Dagster instance of a deployment whose webserver, daemon and code server run as
separate services (compose.yaml, docs/deploy.md): DAGSTER_HOME's dagster.yaml written from the project's
(dagster-postgres storage when TRIPL_DAGSTER_POSTGRES_URL is set) and the storage created or migrated, once,
before those services start. `tripl up` does the same for its own children."""

from __future__ import annotations

import os
from pathlib import Path

import typer

app = typer.Typer(help="The Dagster instance.", no_args_is_help=True)


@app.command("init")
def init(project_dir: Path = typer.Option(Path("."), help="Folder holding dagster.yaml"),
         home: Path | None = typer.Option(None, help="DAGSTER_HOME to prepare (default: $DAGSTER_HOME, else "
                                          "the state dir's `dagster` folder)")) -> None:
    """Write DAGSTER_HOME/dagster.yaml and create (or upgrade) the Dagster storage."""
    from tripl_core.settings import Settings
    from tripl_pipelines.instance import POSTGRES_URL_ENV, initialise_storage, postgres_storage_url, prepare_home

    settings = Settings()
    template = project_dir.resolve() / "dagster.yaml"
    if not template.exists():
        raise typer.BadParameter(f"{template} not found; pass --project-dir")
    postgres = os.environ.get(POSTGRES_URL_ENV)
    if postgres:
        os.environ[POSTGRES_URL_ENV] = postgres_storage_url(postgres)
    target = home or (Path(os.environ["DAGSTER_HOME"]) if os.environ.get("DAGSTER_HOME") else None)
    state_dir = target.parent if target is not None else settings.state_dir
    prepared = prepare_home(state_dir, template, os.environ.get(POSTGRES_URL_ENV), name=target.name if target else
                            "dagster")
    initialise_storage(prepared)
    typer.echo(f"Dagster instance ready in {prepared} ({'PostgreSQL' if postgres else 'SQLite'} storage)")
