"""The `tripl` command."""

from __future__ import annotations

import typer

from tripl_cli import anomalies, dagster_home, db, scans, serve, up

app = typer.Typer(help="tripl: keep your analytics tracking plan honest.", no_args_is_help=True,
                  add_completion=False)
app.add_typer(db.app, name="db")
app.add_typer(anomalies.app, name="anomalies")
app.add_typer(scans.app, name="scans")
app.add_typer(dagster_home.app, name="dagster")
app.command("api")(serve.api)
app.command("up")(up.up)


def main() -> None:
    app()
