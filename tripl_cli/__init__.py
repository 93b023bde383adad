"""The `tripl` command."""

from __future__ import annotations

import typer

from tripl_cli import anomalies, branches, dagster_home, db, plan_exports, scans, serve, up

app = typer.Typer(help="tripl: keep your analytics tracking plan honest.", no_args_is_help=True,
                  add_completion=False)
app.add_typer(db.app, name="db")
app.add_typer(anomalies.app, name="anomalies")
app.add_typer(scans.app, name="scans")
app.add_typer(branches.app, name="branches")
app.add_typer(dagster_home.app, name="dagster")
app.command("api")(serve.api)
app.command("up")(up.up)
app.command("codegen")(plan_exports.codegen)
app.command("export")(plan_exports.export)
app.command("validate")(plan_exports.validate)


def main() -> None:
    app()
