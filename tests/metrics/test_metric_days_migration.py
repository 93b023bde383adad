"""Migration 0014 moves row-per-point counts into packed day rows and back, on SQLite and PostgreSQL: every
point of every kind survives the upgrade (read back through the store) and the downgrade (as rows again)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, select, text

from tests.metrics.support import bare_scan_config
from tests.support.postgres import PostgresServer
from tripl_core.db.engine import Database
from tripl_core.db.migrate import alembic_config, upgrade
from tripl_core.metrics import store
from tripl_core.metrics.models import AppVersionDay, BreakdownDay, MetricDay

START = datetime(2024, 3, 1, 22, tzinfo=UTC)  # the points straddle a UTC midnight
HOURS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path / 'migrate.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    yield server.create_database("metric_days_migration")


def _old_points(config_id: uuid.UUID) -> dict[str, list[tuple[object, ...]]]:
    ref = str(config_id)
    buckets = [START + timedelta(hours=h) for h in range(HOURS)]
    return {
        "metric_points": [("project_total", ref, b, 10 + i) for i, b in enumerate(buckets)],
        "metric_breakdown_points": [("event", "e1", "platform", "ios", False, b, 3 + i) for i, b in enumerate(buckets)]
        + [("event", "e1", "platform", "Other", True, buckets[1], 7)],
        "metric_app_version_points": [("project_total", ref, "1.2.0", b, 100 * (i + 1)) for i, b in enumerate(buckets)],
    }


COLUMNS = {
    "metric_points": "scope, scope_ref, bucket, count",
    "metric_breakdown_points": "scope, scope_ref, breakdown_column, breakdown_value, is_other, bucket, count",
    "metric_app_version_points": "scope, scope_ref, version, bucket, count",
}


def _insert(db: Database, config_id: uuid.UUID, points: dict[str, list[tuple[object, ...]]]) -> None:
    with db.engine.begin() as conn:
        for table, rows in points.items():
            names = COLUMNS[table].split(", ")
            marks = ", ".join(f":{n}" for n in names)
            conn.execute(text(f"INSERT INTO {table} (id, scan_config_id, {COLUMNS[table]}) VALUES (:id, :config, "
                              f"{marks})"),
                         [{"id": uuid.uuid4().hex if db.engine.dialect.name == "sqlite" else uuid.uuid4(),
                           "config": config_id.hex if db.engine.dialect.name == "sqlite" else config_id,
                           **dict(zip(names, [_stored(v) for v in row], strict=True))} for row in rows])


def _stored(value: object) -> object:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _read_old(db: Database) -> dict[str, set[tuple[object, ...]]]:
    """The rows of the point tables, typed by reflection (datetimes read back as UTC)."""
    out = {}
    with db.engine.connect() as conn:
        for name, columns in COLUMNS.items():
            table = Table(name, MetaData(), autoload_with=conn)
            out[name] = {tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row)
                         for row in conn.execute(select(*[table.c[c] for c in columns.split(", ")]))}
    return out


def test_points_move_into_day_rows_and_back(fresh_url: str, tmp_path: Path) -> None:
    upgrade(fresh_url)
    db = Database(fresh_url)
    config_id = bare_scan_config(db, tmp_path, "m")
    db.dispose()
    config = alembic_config(fresh_url)
    before = ScriptDirectory.from_config(config).get_revision("0014").down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    db = Database(fresh_url)
    points = _old_points(config_id)
    _insert(db, config_id, points)
    command.upgrade(config, "0014")
    with db.unit_of_work() as session:
        counts = store.series(session, MetricDay, config_id, None, None)
        breakdowns = store.series(session, BreakdownDay, config_id, None, None)
        versions = store.series(session, AppVersionDay, config_id, None, None)
        days = session.query(MetricDay).count()
    assert days == 2  # 22:00–23:00 on one day, 00:00–02:00 on the next
    assert counts == {(s, r): {b: c for *_, b, c in points["metric_points"]} for s, r, *_ in points["metric_points"]}
    assert breakdowns[("event", "e1", "platform", "ios", False)] == {
        b: c for *key, b, c in points["metric_breakdown_points"] if key[3] == "ios"}
    assert breakdowns[("event", "e1", "platform", "Other", True)] == {START + timedelta(hours=1): 7}
    assert versions == {("project_total", str(config_id), "1.2.0"): {
        b: c for *_, b, c in points["metric_app_version_points"]}}
    command.downgrade(config, before)
    assert _read_old(db) == {table: set(rows) for table, rows in points.items()}
    command.upgrade(config, "head")
    db.dispose()
