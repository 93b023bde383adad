"""Migrations form one line of history, and the models match what they build."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from tripl_core.db.migrate import alembic_config, include_name
from tripl_core.tables import Base


def test_one_head(tmp_path: Path) -> None:
    heads = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'x.db'}")).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: give the newer one the other as down_revision"


def test_models_match_the_migrated_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}),
                                Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ (write a migration): {diff}"
