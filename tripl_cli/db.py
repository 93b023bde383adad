from __future__ import annotations

import typer

app = typer.Typer(help="The app database.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply database migrations (SQLite in the state directory, or TRIPL_DATABASE_URL)."""
    # Alembic and the settings are loaded by this command only, not by every `tripl` start
    from tripl_core.db.migrate import upgrade as run_upgrade
    from tripl_core.settings import Settings

    settings = Settings()
    run_upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}: {_safe(settings.resolved_database_url)}")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
