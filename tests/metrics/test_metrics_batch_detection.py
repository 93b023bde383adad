"""The detection step scores every stored series in one batch (`score_with_forecast`, over `detect_many`):
its verdicts, bounds, z and one-bucket forecasts are exactly those of scoring each series on its own
(`score` + `next_buckets`, i.e. `detect` + `forecast`), for series with planted spikes and drops, sparse
series, series that start late or stop, and a series seen only in its last buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.anomaly import detect_many
from tripl_core.analysis.detector_settings import DetectorSettings
from tripl_core.metrics.series import SeriesKey, next_buckets, score, score_with_forecast, zero_filled
from tripl_core.warehouse import Interval

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


def _stored(interval: Interval, days: int) -> dict[SeriesKey, dict[datetime, int]]:
    """Counts as the app database stores them: only non-empty buckets."""
    rng = np.random.default_rng(17)
    per_day = int(timedelta(days=1) / interval.delta)
    total = days * per_day
    slot = np.arange(total)
    rhythm = 1 + 0.6 * np.sin(2 * np.pi * (slot % per_day) / per_day)
    out: dict[SeriesKey, dict[datetime, int]] = {}
    for i in range(12):
        values = rng.poisson(rng.uniform(5, 400) * rhythm)
        if i == 1:
            values[total - 30] *= 6  # spike
        if i == 2:
            values[total - 50 : total - 45] = 0  # drop
        if i == 3:
            values[: total // 2] = 0  # starts late
        if i == 4:
            values[total - per_day :] = 0  # stopped
        if i == 5:
            values = np.where(rng.random(total) < 0.9, 0, values)  # sparse
        out[("event", f"e{i}")] = {START + int(t) * interval.delta: int(v) for t, v in enumerate(values) if v}
    out[("event", "young")] = {START + (total - 3 + t) * interval.delta: 100 for t in range(3)}
    return out


@pytest.mark.parametrize(("interval", "days"), [(Interval.MIN_15, 16), (Interval.HOUR_1, 30)])
def test_batch_equals_each_series_scored_alone(interval: Interval, days: int) -> None:
    counts, settings = _stored(interval, days), DetectorSettings()
    keys = sorted(counts)
    end = START + days * timedelta(days=1)
    batch, ahead_batch = score_with_forecast(counts, keys, START, end, interval, settings)
    assert len(batch.timestamps) == days * int(timedelta(days=1) / interval.delta)
    directions = batch.direction()
    flagged = 0
    for index, key in enumerate(keys):
        series = zero_filled(counts[key], START, end, interval)
        alone = score(series, interval, settings)
        for column in ("value", "expected", "lower", "upper", "z", "is_anomaly"):
            assert np.array_equal(alone[column].to_numpy(), getattr(batch, column)[index], equal_nan=True), \
                (key, column)
        assert list(alone["direction"]) == list(directions[index])
        ahead = next_buckets(series, interval, settings)
        assert ahead_batch.timestamps[-1] == ahead["timestamp"].iloc[0]
        for column in ("expected", "lower", "upper"):
            assert np.array_equal(ahead[column].to_numpy(), getattr(ahead_batch, column)[index, -1:], equal_nan=True), \
                (key, column)
        flagged += int(alone["is_anomaly"].sum())
    assert flagged > 0  # the planted cases give the comparison verdicts to compare


def test_batch_of_series_reads_counts_only_inside_the_range() -> None:
    interval = Interval.HOUR_1
    counts: dict[SeriesKey, dict[datetime, int]] = {("event", "a"): {START - interval.delta: 5, START: 7,
                                                                     START + 2 * interval.delta: 9}}
    batch, ahead = score_with_forecast(counts, [("event", "a"), ("event", "none")], START,
                                       START + 2 * interval.delta, interval, DetectorSettings())
    assert list(ahead.timestamps) == [pd.Timestamp(START + i * interval.delta) for i in range(3)]
    assert batch.value.tolist() == [[7.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize(("interval", "days", "kind"), [(Interval.MIN_15, 16, "count"), (Interval.HOUR_1, 30, "count"),
                                                        (Interval.MIN_15, 16, "gauge")])
def test_appending_buckets_never_changes_an_earlier_result(interval: Interval, days: int, kind: str) -> None:
    """What the detection step relies on to score verdicts and forecasts in one batch over the grid grown
    by the forecast bucket: every bucket's expectation, band and verdict read only earlier data (the
    weekday effects smoothed over slots after a bucket are known ahead: each reads days-old data)."""
    counts = _stored(interval, days)
    per_day = int(timedelta(days=1) / interval.delta)
    grid = pd.date_range(START, periods=days * per_day, freq=interval.delta, tz="UTC")
    frame = pd.DataFrame({i: pd.Series({pd.Timestamp(k): v for k, v in c.items()}, dtype=float)
                          .reindex(grid, fill_value=0.0) for i, c in enumerate(counts.values())})
    settings = DetectorSettings(kind=kind)
    whole = detect_many(frame, interval.value, settings)
    for cut in (9 * per_day + 1, 12 * per_day - 3, len(grid) - 2):
        prefix = detect_many(frame.iloc[:cut], interval.value, settings)
        for column in ("expected", "lower", "upper", "z", "is_anomaly"):
            assert np.array_equal(getattr(prefix, column), getattr(whole, column)[:, :cut], equal_nan=True), \
                (cut, column)
