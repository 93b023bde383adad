"""The packed day rows of stored counts (tripl_core.metrics.store): replacing a window that covers days only
partly keeps the buckets outside it, whole days are rebuilt, all-zero days leave no row; reads clip to the
asked range. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from tests.metrics.support import bare_scan_config
from tripl_core.db.engine import Database
from tripl_core.metrics import store
from tripl_core.metrics.models import MetricDay
from tripl_core.metrics.store import WindowGrid

DAY0 = datetime(2024, 5, 6, tzinfo=UTC)
HOUR = timedelta(hours=1)
KEY = ("project_total", "total")


def _write(db: Database, config_id: uuid.UUID, start: datetime, end: datetime, values: list[int]) -> None:
    grid = WindowGrid(start, end, 3600)
    with db.unit_of_work() as session:
        store.replace_window(session, MetricDay, config_id, grid, {KEY: np.asarray(values, dtype=np.int64)})


def _stored(db: Database, config_id: uuid.UUID, start: datetime | None = None,
            end: datetime | None = None) -> dict[datetime, int]:
    with db.unit_of_work() as session:
        return store.series(session, MetricDay, config_id, start, end).get(KEY, {})


def test_partial_windows_keep_the_rest_of_their_days(db: Database, tmp_path: Path) -> None:
    config_id = bare_scan_config(db, tmp_path, "s")
    _write(db, config_id, DAY0, DAY0 + 2 * 24 * HOUR, [1 + h for h in range(48)])  # two whole days
    assert _stored(db, config_id) == {DAY0 + h * HOUR: 1 + h for h in range(48)}
    # 22:00 of day 0 to 02:00 of day 1: both days only partly covered
    _write(db, config_id, DAY0 + 22 * HOUR, DAY0 + 26 * HOUR, [0, 500, 0, 700])
    expected = {DAY0 + h * HOUR: 1 + h for h in range(48)}
    expected.update({DAY0 + 23 * HOUR: 500, DAY0 + 25 * HOUR: 700})
    del expected[DAY0 + 22 * HOUR], expected[DAY0 + 24 * HOUR]
    assert _stored(db, config_id) == expected
    assert _stored(db, config_id, DAY0 + 23 * HOUR, DAY0 + 25 * HOUR) == {DAY0 + 23 * HOUR: 500}
    # a window of nothing counted on a whole day removes that day's row
    _write(db, config_id, DAY0 + 24 * HOUR, DAY0 + 48 * HOUR, [0] * 24)
    assert _stored(db, config_id) == {b: c for b, c in expected.items() if b < DAY0 + 24 * HOUR}
    with db.unit_of_work() as session:
        rows = session.scalar(select(func.count()).select_from(MetricDay))
        assert rows == 1
        assert store.count_points(session, MetricDay, config_id) == 23
