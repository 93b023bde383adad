"""The Dagster instance `tripl up` runs on: its home (DAGSTER_HOME in the state dir, dagster.yaml copied from
the project, with dagster-postgres storage when TRIPL_DAGSTER_POSTGRES_URL is set) and its storage created
and migrated once, in one process, before the webserver and the daemon start.

Without that first step both children create the SQLite storage at the same moment and one of them meets
`database is locked` on `PRAGMA journal_mode=WAL` and dies; on PostgreSQL they race on the schema."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import yaml
from dagster import DagsterInstance

POSTGRES_URL_ENV = "TRIPL_DAGSTER_POSTGRES_URL"


def no_compute_logs() -> dict[str, str]:
    """The compute log manager of Dagster's own ephemeral instance (it captures nothing), named by its
    class: Dagster exports no public name for it, and a hard-coded private module path would break
    silently when Dagster moves it."""
    ephemeral = DagsterInstance.ephemeral()
    try:
        manager = type(ephemeral.compute_log_manager)
    finally:
        ephemeral.dispose()
    return {"module": manager.__module__, "class": manager.__name__}


def prepare_home(state_dir: Path, template: Path, postgres_url: str | None = None, *, name: str = "dagster") -> Path:
    """`state_dir/<name>` holding the project's dagster.yaml with compute logs off, plus Postgres storage
    when asked for."""
    home = state_dir / name
    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(template.read_text()) or {}
    config["compute_logs"] = no_compute_logs()
    if postgres_url is not None:
        # The URL stays in the environment (secrets never land in the file); dagster-postgres needs the
        # psycopg2 driver named explicitly with SQLAlchemy 2.
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}
    (home / "dagster.yaml").write_text("# written by `tripl up` from the project's dagster.yaml\n"
                                       + yaml.safe_dump(config, sort_keys=False))
    return home


def postgres_storage_url(url: str) -> str:
    """A PostgreSQL URL in the scheme dagster-postgres accepts (`postgresql+psycopg2://`)."""
    for prefix in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    raise ValueError(f"{POSTGRES_URL_ENV} must be a postgresql:// URL (got {url.split('://')[0]}://…)")


def initialise_storage(home: Path) -> None:
    """Create (or migrate to the installed Dagster's schema) the run, event log and schedule storage."""
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        instance = DagsterInstance.get()
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # Dagster prints each migration step
                instance.upgrade()
            # Touching each storage creates it (SQLite files and their WAL mode, Postgres tables).
            instance.get_runs_count()
            instance.event_log_storage.get_maximum_record_id()
            instance.all_instigator_state()
        finally:
            instance.dispose()
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
