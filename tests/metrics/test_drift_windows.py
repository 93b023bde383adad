"""Distribution drift windows: `current` is the whole day before the window's end and `baseline` the seven
days before that, whatever hour the end falls on (buckets are epoch-aligned; a window ending at 06:00 once
counted only the six hours since midnight as current), and values kept by one window but folded into
Other by the other are compared as Other on both sides."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.plan.support import make_type
from tests.scans.support import create_scan
from tests.sources.support import chdb_body, create_source
from tests.support.workspace import Workspace
from tripl_core.metrics import distribution_drifts
from tripl_core.metrics.collection_input import load_input
from tripl_core.security import SecretBox
from tripl_core.settings import Settings
from tripl_core.warehouse import create_warehouse

START = datetime(2024, 3, 4, tzinfo=UTC)
END = START + timedelta(days=8, hours=6)  # 06:00, not midnight


def _hour_value(moment: datetime) -> str:
    if moment.hour < 6:
        return "night"
    return "late" if END - timedelta(days=1) <= moment < END and moment.hour < 18 else "day"


@pytest.fixture(scope="module")
def hourly_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One row an hour for nine days: `night` from 00:00 to 06:00, `day` after, except `late` from 06:00 to
    18:00 on the day before END."""
    folder = tmp_path_factory.mktemp("drift_lake")
    moments = [START + timedelta(hours=h, minutes=30) for h in range(9 * 24)]
    pq.write_table(pa.table({"ts": pa.array(moments, pa.timestamp("us", tz="UTC")),
                             "v": pa.array([_hour_value(m) for m in moments], pa.string())}),
                   folder / "rows.parquet")
    return folder


def _scan(ws: Workspace, lake: Path, settings: Settings) -> tuple[Any, Any, str]:
    ws.project("shop")
    app = make_type(ws.owner, "shop", "app")
    source = create_source(ws.owner, chdb_body(lake, name="hourly"))
    scan = create_scan(ws.owner, source, name="hourly", base_query="SELECT ts, v FROM rows",
                       event_type_id=app["id"], event_type_column=None, event_name_format=None,
                       time_column="ts", interval="1h", distribution_drift_fields=["v"])
    config_input, config = load_input(ws.db, uuid.UUID(scan["id"]), SecretBox(settings.resolved_secret_key))
    return config_input, config, scan["id"]


def _read(ws: Workspace, lake: Path, settings: Settings, end: datetime) -> tuple[Any, Any]:
    config_input, config, scan_id = _scan(ws, lake, settings)
    warehouse = create_warehouse(config)
    try:
        baseline, current = distribution_drifts.read_drift_counts(warehouse, config_input, end)
    finally:
        warehouse.close()
    return baseline[("project_total", scan_id, "v")], current[("project_total", scan_id, "v")]


def test_current_is_the_whole_day_before_an_end_off_midnight(ws: Workspace, hourly_lake: Path,
                                                              settings: Settings) -> None:
    baseline, current = _read(ws, hourly_lake, settings, END)
    assert current == {"night": 6, "late": 12, "day": 6}
    assert baseline == {"night": 7 * 6, "day": 7 * 18}


def test_values_folded_by_one_window_are_other_on_both_sides(monkeypatch: pytest.MonkeyPatch, ws: Workspace,
                                                             hourly_lake: Path, settings: Settings) -> None:
    monkeypatch.setattr(distribution_drifts, "TOP_VALUES", 1)  # each window keeps its own most frequent value only
    baseline, current = _read(ws, hourly_lake, settings, END)
    # baseline keeps `day` and current `late`: neither count is known on the other side
    assert baseline == {"Other": 7 * 24}
    assert current == {"Other": 24}


def test_a_value_both_windows_keep_stays_itself(monkeypatch: pytest.MonkeyPatch, ws: Workspace,
                                                hourly_lake: Path, settings: Settings) -> None:
    monkeypatch.setattr(distribution_drifts, "TOP_VALUES", 2)
    baseline, current = _read(ws, hourly_lake, settings, END - timedelta(days=1))  # no `late` in either window
    assert baseline == {"day": 6 * 18, "night": 7 * 6}  # the rows start 18 h into its first day
    assert current == {"day": 18, "night": 6}


def test_ends_read_together_answer_as_each_alone(monkeypatch: pytest.MonkeyPatch, ws: Workspace,
                                                 hourly_lake: Path, settings: Settings) -> None:
    """A batch of ends is one read per field; a read that fills the row limit is read again in halves, and
    either way every end gets what reading it alone gives."""
    config_input, config, _ = _scan(ws, hourly_lake, settings)
    ends = [END - timedelta(days=days) for days in (3, 2, 1, 0)]
    warehouse = create_warehouse(config)
    try:
        alone = [distribution_drifts.read_drift_counts(warehouse, config_input, end) for end in ends]
        together = distribution_drifts.read_drift_counts_at(warehouse, config_input, ends)
        # one end's two windows answer at most five rows (night, day; night, late, day): four ends must split
        monkeypatch.setattr(distribution_drifts, "ROW_LIMIT", 6)
        halved = distribution_drifts.read_drift_counts_at(warehouse, config_input, ends)
    finally:
        warehouse.close()
    assert together == alone == halved
    assert len({repr(pair) for pair in alone}) == len(ends)  # the ends really differ
