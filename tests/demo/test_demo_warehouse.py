"""The demo warehouse: deterministic, long enough, and holding every planted case (read back with chDB and
from its files)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.anomaly import detect
from tripl_core.analysis.detector_settings import DetectorSettings
from tripl_core.demo import DEMO_PLAN, DemoCases, generate_demo_warehouse
from tripl_core.demo.volumes import volume_series
from tripl_core.warehouse import ColumnRef, Interval, Warehouse, WarehouseConfig, create_warehouse
from tripl_core.warehouse.base import SqlQuery

# A Wednesday mid-morning: the range then starts mid-week and ends inside a day, like "now" would.
END = datetime(2024, 3, 20, 10, 37, tzinfo=UTC)
SEED = 7


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoCases]:
    folder = tmp_path_factory.mktemp("demo-warehouse")
    return folder, generate_demo_warehouse(folder, end=END, seed=SEED)


@pytest.fixture(scope="module")
def warehouse(demo: tuple[Path, DemoCases]) -> Iterator[Warehouse]:
    folder, _ = demo
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder), timeout_seconds=60))
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def cases(demo: tuple[Path, DemoCases]) -> DemoCases:
    return demo[1]


@pytest.fixture(scope="module")
def event_series(demo: tuple[Path, DemoCases]) -> dict[str, pd.Series]:
    """15-minute counts per event name over the whole range, zero-filled."""
    return {ref: series for (scope, ref), series in volume_series(*demo).items() if scope == "event"}


def test_volume_series_are_the_warehouse_bucket_counts(warehouse: Warehouse, cases: DemoCases,
                                                        event_series: dict[str, pd.Series]) -> None:
    """volume_series counts the files itself; the sums are what a collection's SQL gives."""
    points = warehouse.bucket_counts(f"SELECT * FROM {cases.table}", cases.time_column, Interval.MIN_15,
                                     cases.start, cases.end, [ColumnRef("event_name")])
    counted: dict[str, dict[datetime, int]] = {}
    for point in points:
        counted.setdefault(point.groups[0], {})[point.bucket] = point.count
    assert counted.keys() == event_series.keys()
    for name, series in event_series.items():
        assert {bucket: int(n) for bucket, n in series.items() if n} == counted[name], name


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return warehouse.run(SqlQuery(sql)).rows


def scalar(warehouse: Warehouse, sql: str) -> Any:
    return query(warehouse, sql)[0][0]


def at(moment: datetime) -> str:
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S')}', 6, 'UTC')"


# -- shape ----------------------------------------------------------------------------------------


def test_same_seed_writes_identical_files(demo: tuple[Path, DemoCases], tmp_path: Path) -> None:
    folder, cases = demo
    again = generate_demo_warehouse(tmp_path, end=END, seed=SEED)
    assert again == cases
    assert _digest(tmp_path / "events.parquet") == _digest(folder / "events.parquet")


def test_another_seed_gives_other_rows(tmp_path: Path, cases: DemoCases) -> None:
    other = generate_demo_warehouse(tmp_path, end=END, seed=SEED + 1)
    assert other.row_count != cases.row_count
    assert other.spike == cases.spike  # the planted moments depend on the end only


def test_range_is_35_days_of_15_minute_aligned_utc(warehouse: Warehouse, cases: DemoCases) -> None:
    assert cases.end == datetime(2024, 3, 20, 10, 30, tzinfo=UTC)
    assert cases.end - cases.start == timedelta(days=35)
    first, last, rows = query(warehouse, "SELECT min(ts), max(ts), count() FROM events")[0]
    assert cases.start <= first < cases.start + timedelta(minutes=15)
    assert cases.end - timedelta(minutes=15) <= last < cases.end
    assert rows == cases.row_count
    assert 600_000 < rows < 1_000_000


def test_columns_and_json_properties(warehouse: Warehouse, cases: DemoCases) -> None:
    schema = {column.name for table in warehouse.schema() if table.name == "events" for column in table.columns}
    assert schema == {"ts", "event_type", "event_name", "platform", "app_version", "country", "user_id", "properties"}
    assert set(cases.event_types) == {"screen_view", "click", "purchase", "auth", "system"}
    platforms = {row[0] for row in query(warehouse, "SELECT DISTINCT platform FROM events")}
    assert platforms == {"ios", "android", "web"}
    assert scalar(warehouse, "SELECT uniqExact(user_id) FROM events") > 20_000
    purchase_keys = {
        key.path for key in warehouse.json_keys("SELECT * FROM events WHERE event_type = 'purchase'", "properties")
    }
    assert {"price", "currency", "items", "payment.method"} <= purchase_keys
    assert scalar(warehouse, "SELECT countIf(NOT isValidJSON(properties)) FROM events") == 0


def test_daily_and_weekly_rhythm(warehouse: Warehouse) -> None:
    by_hour = dict(query(warehouse, "SELECT toHour(ts) AS h, count() FROM events GROUP BY h"))
    assert by_hour[19] > 3 * by_hour[4]
    by_weekday = dict(query(warehouse, "SELECT toDayOfWeek(ts) AS d, count() FROM events GROUP BY d"))
    weekdays = np.mean([by_weekday[day] for day in (2, 3, 4)])
    assert by_weekday[7] < 0.9 * weekdays


# -- planted cases -------------------------------------------------------------------------------


def test_spike_and_drop_buckets_against_the_same_slot_on_previous_days(
    event_series: dict[str, pd.Series], cases: DemoCases
) -> None:
    for anomaly in cases.volume_anomalies:
        series = event_series[anomaly.event_name]
        for bucket in anomaly.buckets:
            usual = np.median([series[bucket - timedelta(days=d)] for d in range(1, 8)])
            assert usual >= 50
            ratio = series[bucket] / usual
            assert (ratio > 2.5) if anomaly.direction == "spike" else (ratio < 0.3), (bucket, ratio)
    assert cases.spike.start - cases.start >= timedelta(days=14)
    assert cases.drop.start.date() != cases.spike.start.date()


def test_new_release_misses_one_event_it_previously_sent(warehouse: Warehouse, cases: DemoCases) -> None:
    missing = cases.missing_on_release
    per_version = dict(
        query(
            warehouse,
            f"""
        SELECT app_version, count() FROM events
        WHERE event_name = '{missing.event_name}' AND ts >= {at(missing.released_at)} GROUP BY app_version""",
        )
    )
    assert missing.version not in per_version
    assert per_version[missing.previous_version] >= 100
    others_on_release = scalar(
        warehouse,
        f"""
        SELECT count() FROM events WHERE app_version = '{missing.version}' AND event_name = 'add_to_cart'""",
    )
    assert others_on_release > 100
    assert scalar(warehouse, f"SELECT min(ts) FROM events WHERE app_version = '{missing.version}'") >= (
        missing.released_at
    )


def test_new_release_becomes_active(warehouse: Warehouse, cases: DemoCases) -> None:
    """≥ 5% of traffic for at least two consecutive buckets, from about the announced bucket on."""
    missing = cases.missing_on_release
    shares = [
        row[1]
        for row in query(
            warehouse,
            f"""
        SELECT toStartOfFifteenMinutes(ts) AS b, countIf(app_version = '{missing.version}') / count()
        FROM events WHERE ts >= {at(missing.released_at)} GROUP BY b ORDER BY b""",
        )
    ]
    last_day = shares[-96:]
    assert np.median(last_day) > 0.08
    assert sum(share > 0.05 for share in last_day) > 80
    assert np.median(shares[:48]) < 0.05  # the phased rollout starts small
    assert missing.active_from - missing.released_at > timedelta(hours=12)
    assert 0.08 < missing.final_share < 0.25
    assert [r.version for r in cases.releases if not r.prerelease][-2:] == [missing.previous_version, missing.version]


def test_currency_distribution_shifts(warehouse: Warehouse, cases: DemoCases) -> None:
    shift = cases.distribution_shift
    assert shift.field == "properties.currency"
    before, after = (
        dict(
            query(
                warehouse,
                f"""
            SELECT JSONExtractString(properties, 'currency') AS c, count() / sum(count()) OVER ()
            FROM events WHERE event_type = '{shift.event_type}' AND ts {op} {at(shift.since)} GROUP BY c""",
            )
        )
        for op in ("<", ">=")
    )
    assert before["USD"] > 0.45
    assert before["EUR"] < 0.3
    assert after["USD"] < 0.32
    assert after["EUR"] > 0.44
    assert shift.psi() > 0.25


def test_new_json_key_appears_only_from_its_start(warehouse: Warehouse, cases: DemoCases) -> None:
    new = cases.new_field
    key = new.field.removeprefix("properties.")
    first, rows, types = query(
        warehouse,
        f"""
        SELECT min(ts), count(), groupUniqArray(event_type) FROM events WHERE JSONHas(properties, '{key}')""",
    )[0]
    assert first >= new.since
    assert first < new.since + timedelta(hours=1)
    assert rows > 300
    assert types == [new.event_type]
    declared = {field.name for t in DEMO_PLAN.event_types for field in t.fields}
    assert new.field not in declared


def test_dead_event_is_planned_live_but_silent_for_30_days(warehouse: Warehouse, cases: DemoCases) -> None:
    dead = cases.dead_event
    last, rows = query(warehouse, f"SELECT max(ts), count() FROM events WHERE event_name = '{dead.event_name}'")[0]
    assert rows > 0
    assert last < dead.last_sent_before <= cases.end - timedelta(days=30)
    planned = {(e.event_type, e.name): e.status for e in DEMO_PLAN.events}
    assert planned[(dead.event_type, dead.event_name)] in ("implemented", "live")


def test_shadow_event_is_in_the_warehouse_and_not_in_the_plan(warehouse: Warehouse, cases: DemoCases) -> None:
    shadow = cases.shadow_event
    rows = scalar(warehouse, f"SELECT count() FROM events WHERE event_name = '{shadow.event_name}'")
    assert rows > 1_000
    planned = {(e.event_type, e.name) for e in DEMO_PLAN.events}
    assert (shadow.event_type, shadow.event_name) not in planned
    assert planned == set(cases.events) - {(shadow.event_type, shadow.event_name)}


def test_plan_fields_are_what_the_warehouse_holds(warehouse: Warehouse) -> None:
    for event_type in DEMO_PLAN.event_types:
        base = f"SELECT * FROM events WHERE event_type = '{event_type.name}'"
        seen = {f"properties.{key.path}" for key in warehouse.json_keys(base, "properties")}
        declared = {field.name for field in event_type.fields if field.name.startswith("properties.")}
        assert declared <= seen, event_type.name


# -- clean series --------------------------------------------------------------------------------


def test_only_planted_buckets_stand_out_under_a_robust_check(
    event_series: dict[str, pd.Series], cases: DemoCases
) -> None:
    """Against the median of the same slot over the previous 7 days, with Poisson and 10% slack."""
    planted = {(a.event_name, bucket) for a in cases.volume_anomalies for bucket in a.buckets}
    flagged = set()
    for name, series in event_series.items():
        values = series.to_numpy()
        history = np.stack([np.roll(values, 96 * d) for d in range(1, 8)])
        usual = np.median(history, axis=0)
        z = (values - usual) / np.sqrt(usual + (0.1 * usual) ** 2 + 1)
        judged = (np.arange(len(values)) >= 7 * 96) & (usual >= 30) & (np.abs(z) > 5)
        flagged |= {(name, series.index[i].to_pydatetime()) for i in np.flatnonzero(judged)}
    assert flagged == planted


@pytest.fixture(scope="module")
def detector_flags(event_series: dict[str, pd.Series]) -> dict[str, list[tuple[datetime, str]]]:
    """The real detector (project defaults) over every event's 15-minute series: flagged buckets."""
    found: dict[str, list[tuple[datetime, str]]] = {}
    for name, series in event_series.items():
        result = detect(series, "15m", DetectorSettings())
        flagged = result[result["is_anomaly"]]
        found[name] = [(row.timestamp.to_pydatetime(), row.direction) for row in flagged.itertuples()]
    return found


def test_detector_finds_the_spike_and_the_drop_and_nothing_else_after_two_weeks(
    detector_flags: dict[str, list[tuple[datetime, str]]], cases: DemoCases
) -> None:
    """Once the detector has its full 14-day baseline, the planted onsets are its only verdicts."""
    settled = cases.start + timedelta(days=14)
    late = {name: [hit for hit in hits if hit[0] >= settled] for name, hits in detector_flags.items()}
    silence = late.pop(cases.silence.event_name)
    assert cases.silence.found_by(silence), silence
    assert len(silence) == 1, silence
    expected = {a.event_name: [(a.start, a.direction)] for a in cases.volume_anomalies}
    assert {name: hits for name, hits in late.items() if hits} == expected


def test_detector_flags_nothing_unplanted_over_the_whole_range(
    detector_flags: dict[str, list[tuple[datetime, str]]], cases: DemoCases
) -> None:
    flags = dict(detector_flags)
    silence = flags.pop(cases.silence.event_name)
    assert cases.silence.found_by(silence), silence
    assert len(silence) == 1, silence
    # The dead event stopped four days into the range: once the detector has a week of history (from
    # days with events), it is a silence too, and the only verdict on it.
    assert [direction for _, direction in flags.pop(cases.dead_event.event_name)] == ["silence"]
    expected = {a.event_name: [(a.start, a.direction)] for a in cases.volume_anomalies}
    assert {name: hits for name, hits in flags.items() if hits} == expected


def test_the_silenced_event_sends_nothing_from_its_start(
    event_series: dict[str, pd.Series], cases: DemoCases
) -> None:
    series = event_series[cases.silence.event_name]
    before = series[series.index < cases.silence.start]
    assert (series[series.index >= cases.silence.start] == 0).all()
    # Regularly seen before: every day had events, about 8 a quarter-hour at the busiest hours.
    assert (before.resample("1D").sum() > 0).all()
    assert 4 <= before.tail(7 * 96).quantile(0.9) <= 20


# "Now" moments whose demo drew a borderline extra flag (a Poisson tail meeting an expectation a few
# percent low) before count spreads carried the sampling noise of their own expectation: different
# weekdays and hours; about three seconds each.
CLEAN_DEMO_ENDS = (
    datetime(2026, 2, 4, 14, 46, tzinfo=UTC),
    datetime(2026, 3, 7, 5, 12, tzinfo=UTC),
    datetime(2026, 4, 6, 19, 38, tzinfo=UTC),
    datetime(2026, 11, 22, 7, 53, tzinfo=UTC),
    datetime(2026, 11, 25, 6, 10, tzinfo=UTC),
)


@pytest.mark.parametrize("end", CLEAN_DEMO_ENDS, ids=lambda end: f"{end:%Y-%m-%d-%a}")
def test_detector_finds_the_planted_onsets_and_nothing_else_on_every_volume_series(
    end: datetime, tmp_path: Path
) -> None:
    """Each event's, event type's and the project total's 15-minute volume with the project defaults (as
    bench/detector_quality.py scores the demo): the planted events flag their onsets; their event type and
    the total may co-fire inside the planted span; the silenced event flags one silence; nothing else but
    the odd borderline tail is flagged."""
    cases = generate_demo_warehouse(tmp_path, end=end, seed=SEED)
    series = volume_series(tmp_path, cases)
    type_of = {name: event_type for event_type, name in cases.events}

    silent = cases.silence
    co_firing = {(scope, bucket) for a in cases.volume_anomalies for bucket in a.buckets
                 for scope in (("event_type", type_of[a.event_name]), ("total", ""))}
    co_firing |= {(scope, bucket) for bucket in pd.date_range(silent.start, silent.end, freq="15min")
                  for scope in (("event_type", silent.event_type), ("total", ""))}
    planted = {(a.event_name, a.start, a.direction) for a in cases.volume_anomalies}
    found, other, silence_flags, dead_silences = set(), [], [], 0
    for scope, values in series.items():
        result = detect(values, "15m", DetectorSettings())
        for row in result[result["is_anomaly"]].itertuples():
            moment = row.timestamp.to_pydatetime()
            if scope == ("event", silent.event_name):
                silence_flags.append((moment, row.direction))
            elif scope == ("event", cases.dead_event.event_name) and row.direction == "silence":
                dead_silences += 1
            elif scope[0] == "event" and (scope[1], moment, row.direction) in planted:
                found.add((scope[1], moment, row.direction))
            elif scope[0] == "event" or (scope, moment) not in co_firing:
                other.append((scope, moment, row.direction, round(row.z, 2)))
    assert found == planted, found ^ planted
    assert silent.found_by(silence_flags), silence_flags
    assert len(silence_flags) == 1, silence_flags
    assert dead_silences <= 1  # the dead event stopped four days in: a silence once it has history
    # Nothing else but, at most, the odd borderline tail: ~70,000 tests at 4 sigma per demo (docs/benchmarks.md,
    # detection, session 15: none on these five dates, one at z -4.03 over all 37 sampled dates).
    assert len(other) <= 1, other
    assert all(abs(z) < 5 for *_, z in other), other


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
