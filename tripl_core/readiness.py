"""What `/readyz` checks: the app database answers, its schema is at the migrations' head, and the Dagster
webserver scan runs go through (when one is configured) answers. Each check gives "ok" or what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tripl_core.db.engine import Database
from tripl_core.db.migrate import current_heads

NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(value == "ok" or value == NOT_CONFIGURED for value in self.checks.values())


def check(db: Database, database_url: str, dagster_url: str | None, *, timeout_seconds: float = 3.0) -> Readiness:
    checks = {"database": "ok", "migrations": "ok", "dagster": NOT_CONFIGURED}
    try:
        with db.read_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            applied = set(MigrationContext.configure(connection).get_current_heads())
        expected = set(current_heads(database_url))
        if applied != expected:
            checks["migrations"] = (f"the database is at {', '.join(sorted(applied)) or 'no revision'}, the code "
                                    f"expects {', '.join(sorted(expected))}: run `tripl db upgrade`")
    except SQLAlchemyError as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
        checks["migrations"] = "unknown (no database)"
    if dagster_url:
        try:
            answer = httpx.get(dagster_url.rstrip("/") + "/server_info", timeout=timeout_seconds)
            checks["dagster"] = "ok" if answer.status_code == 200 else f"answered HTTP {answer.status_code}"
        except httpx.HTTPError as error:
            checks["dagster"] = f"unreachable at {dagster_url}: {type(error).__name__}"
    return Readiness(checks)
