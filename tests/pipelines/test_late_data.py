"""Late data (SEMANTICS §4) on SQLite and PostgreSQL with a real chDB warehouse, time simulated: a warehouse
whose rows land 45 minutes after they happen, collected every hour the way the metrics sensor asks
(`due_collections` windows, which re-count the buckets still settling), raises no drop, no freshness signal
and nothing for the alert fan-out, and the config learns its delay; when the same source then stops,
that is one `freshness` signal per judged bucket about the source — alertable — and no drop per event.
On a fresh demo, the collections of its first hour judge none of the newest buckets (on SQLite: which buckets
are judged is decided above the storage, and a demo's collections run on PostgreSQL in tests/demo)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tests.metrics import support as ms
from tests.support.workspace import Workspace
from tripl_core.access.models import User, UserRole
from tripl_core.access.principal import Principal
from tripl_core.alerting import candidates
from tripl_core.demo.project import create_demo_project
from tripl_core.metrics.models import AnomalySignal
from tripl_core.metrics.replay import collect_chunks
from tripl_core.metrics.run import analyse
from tripl_core.metrics.schedule import due_collections
from tripl_core.metrics.signals import FRESHNESS
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.settings import Settings
from tripl_core.warehouse import Interval, bucket_start

START = datetime(2024, 3, 4, tzinfo=UTC)
END = START + timedelta(days=21)  # the first collection happens just after
LATE = timedelta(minutes=45)
STEPS = 6  # hourly collections of the late source
STOPPED_STEPS = 6  # then hourly collections after it stopped


@functools.cache
def _traffic() -> tuple[np.ndarray, np.ndarray]:
    """Hourly traffic with a daily rhythm of three events from START on (one fixed draw): timestamps in
    microseconds since the epoch, sorted, and their event names."""
    rng = np.random.default_rng(5)
    hours = int((END + timedelta(hours=STEPS + STOPPED_STEPS + 2) - START).total_seconds() // 3600)
    first_us = int(START.timestamp() * 1_000_000)
    stamps, names = [], []
    for name, rate in ms.RATES.items():
        hour_starts = first_us + np.arange(hours, dtype=np.int64) * 3_600_000_000
        hour_of_day = (np.arange(hours) + START.hour) % 24
        counts = rng.poisson(rate * (1.0 + 0.5 * np.sin(2 * np.pi * (hour_of_day - 6) / 24)))
        stamps.append(np.repeat(hour_starts, counts) + rng.integers(0, 3_600_000_000, int(counts.sum())))
        names.append(np.full(int(counts.sum()), name, dtype=object))
    all_stamps, all_names = np.concatenate(stamps), np.concatenate(names)
    order = np.argsort(all_stamps)
    return all_stamps[order], all_names[order]


@functools.cache
def _all_rows() -> pa.Table:
    """Every row of `_traffic` as the warehouse table, built once: each load writes a prefix of it."""
    stamps, names = _traffic()
    n = len(stamps)
    return pa.table({"ts": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                     "name": pa.array(names.tolist(), pa.string()), "platform": pa.array(["ios"] * n, pa.string()),
                     "country": pa.array(["us"] * n, pa.string()), "app_version": pa.array(["1.0.0"] * n, pa.string())})


def _rows(until: datetime) -> pa.Table:
    stamps, _ = _traffic()
    return _all_rows().slice(0, int(np.searchsorted(stamps, int(until.timestamp() * 1_000_000))))


def _load(lake: Path, until: datetime) -> None:
    """What the warehouse holds at a moment: every row that happened before `until`."""
    pq.write_table(_rows(until), lake / "app_events.parquet")


def _collect(ws: Workspace, settings: Settings, config_id: uuid.UUID, now: datetime) -> None:
    """One tick of the metrics sensor at `now`, and the run it requests (collected in day-long chunks like
    the event metrics asset, then scored)."""
    [due] = [d for d in due_collections(ws.db, now) if d.scan_config_id == config_id]
    collect_chunks(ws.db, config_id, due.time_from, due.time_to, secrets=SecretBox(settings.resolved_secret_key),
                   min_chunk=timedelta(days=1), now=now)
    analyse(ws.db, config_id, due.time_from, due.time_to, now)


def _signals(ws: Workspace, config_id: uuid.UUID, since: datetime) -> list[tuple[str, str, datetime]]:
    with ws.db.unit_of_work() as session:
        rows = session.execute(select(AnomalySignal.scope, AnomalySignal.direction, AnomalySignal.bucket).where(
            AnomalySignal.scan_config_id == config_id, AnomalySignal.bucket >= since)).all()
    return [(scope, direction, bucket.replace(tzinfo=UTC)) for scope, direction, bucket in rows]


def _alertable(ws: Workspace, config_id: uuid.UUID, now: datetime) -> list[Any]:
    with ws.db.unit_of_work() as session:
        config = session.get(ScanConfig, config_id)
        assert config is not None
        return [c for c in candidates.active(session, config, now) if c.kind == "signal"]


@pytest.fixture(scope="module")
def lake_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module's tests: the chDB engine process of a folder (~2 s of CPU to start) serves
    them all; every test loads its own rows into it first."""
    return tmp_path_factory.mktemp("lake")


@pytest.fixture
def late_shop(ws: Workspace, lake_folder: Path) -> uuid.UUID:
    lake = lake_folder
    _load(lake, END + timedelta(minutes=10) - LATE)
    project = ms.metrics_project(ws, lake, metric_breakdown_columns=[], app_version_column=None,
                                 distribution_drift_fields=[])
    ws.lake = lake  # type: ignore[attr-defined]
    return uuid.UUID(project["scan"]["id"])


def test_a_warehouse_loading_45_minutes_late_raises_nothing_until_it_stops(ws: Workspace, settings: Settings,
                                                                         late_shop: uuid.UUID) -> None:
    lake: Path = ws.lake  # type: ignore[attr-defined]
    now = END + timedelta(minutes=10)
    _collect(ws, settings, late_shop, now)
    for _ in range(STEPS):
        now += timedelta(hours=1)
        _load(lake, now - LATE)
        _collect(ws, settings, late_shop, now)
        recent = _signals(ws, late_shop, END - timedelta(hours=2))
        assert not recent, f"signals on late but complete data at {now}: {recent}"
        assert not _alertable(ws, late_shop, now)
    with ws.db.unit_of_work() as session:
        config = session.get(ScanConfig, late_shop)
        assert config is not None
        # rows of the newest bucket landed up to 45 minutes after it ended, seen at an hourly re-count
        assert config.learnt_data_delay_minutes is not None
        assert 45 <= config.learnt_data_delay_minutes <= 120
    stopped_at = now - LATE

    for _ in range(STOPPED_STEPS):  # the source stops: the lake no longer changes
        now += timedelta(hours=1)
        _collect(ws, settings, late_shop, now)
    after_stop = _signals(ws, late_shop, stopped_at - timedelta(hours=1))
    assert after_stop, "a stopped source raised nothing"
    assert {scope for scope, _, _ in after_stop} == {FRESHNESS}, after_stop  # not a drop per event
    alertable = _alertable(ws, late_shop, now)
    assert alertable
    assert {c.scope for c in alertable} == {FRESHNESS}
    assert all("freshness" in c.scope_name for c in alertable)


def test_a_set_delay_is_used_and_a_bad_one_is_refused(ws: Workspace, late_shop: uuid.UUID) -> None:
    url = f"/api/v1/projects/shop/scans/{late_shop}"
    assert ws.owner.patch(url, json={"data_delay_minutes": -1}).status_code == 422
    assert ws.owner.patch(url, json={"data_delay_minutes": 10**7}).status_code == 422
    changed = ws.owner.patch(url, json={"data_delay_minutes": 90})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data_delay_minutes"] == 90
    assert changed.json()["learnt_data_delay_minutes"] is None
    with ws.db.unit_of_work() as session:
        from tripl_core.metrics import lateness

        config = session.get(ScanConfig, late_shop)
        assert config is not None
        assert lateness.complete_until(config, END + timedelta(minutes=10)) == END - timedelta(hours=2)


@pytest.mark.engine_independent
def test_a_fresh_demo_judges_none_of_its_newest_buckets(ws: Workspace, settings: Settings) -> None:
    created = datetime.now(UTC)  # the demo's rows end then
    with ws.db.unit_of_work() as session:
        owner = session.scalar(select(User).where(User.role == UserRole.owner.value))
        assert owner is not None
        demo = create_demo_project(session, Principal(owner), SecretBox(settings.resolved_secret_key),
                                   settings.state_dir, None, now=created)
        config_id = demo.scan_config.id
    end = bucket_start(created, Interval.MIN_15)  # where the demo's rows end
    for minutes in (1, 16, 31, 46):  # the sensor's collections of the demo's first hour
        _collect(ws, settings, config_id, created + timedelta(minutes=minutes))
        newest = _signals(ws, config_id, end - timedelta(hours=2))
        assert not newest, f"{minutes} min after the demo appeared: {newest}"
