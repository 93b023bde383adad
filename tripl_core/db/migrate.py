"""Run Alembic migrations programmatically (used by `tripl db upgrade`, `tripl up` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # `%` is ConfigParser's interpolation character; URLs may contain it (encoded passwords).
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


# Schema objects the migrations create that no model describes: SQLite's FTS5 table for search (and the
# shadow tables FTS5 keeps) and PostgreSQL's full-text expression index. Autogenerate and the models-vs-
# migrations check skip them.
UNMODELLED_PREFIXES = ("search_fts", "ix_search_documents_fts")


def include_name(name: str | None, _type: str, _parent_names: object) -> bool:
    return not (name or "").startswith(UNMODELLED_PREFIXES)
