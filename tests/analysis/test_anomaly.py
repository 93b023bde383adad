"""Properties of the anomaly detector on synthetic series (SEMANTICS.md §4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.anomaly import detect, forecast
from tripl_core.analysis.detector_settings import DetectorSettings

DAY = 96  # 15-minute buckets per day
WEEK = 7 * DAY


def seasonal_counts(days: int = 28, seed: int = 0, level: float = 200.0) -> pd.Series:
    """Poisson event volume with a daily wave and quieter weekends, starting on a Monday."""
    index = pd.date_range("2024-01-01", periods=days * DAY, freq="15min", tz="UTC")
    hour = index.hour + index.minute / 60
    daily = 1 + 0.8 * np.sin(2 * np.pi * (hour - 6) / 24)
    weekly = np.where(index.day_of_week >= 5, 0.6, 1.0)
    rate = level * daily * weekly + 5
    values = np.random.default_rng(seed).poisson(rate).astype(float)
    return pd.Series(values, index=index)


def flagged(result: pd.DataFrame) -> list[int]:
    return [int(i) for i in np.flatnonzero(result["is_anomaly"].to_numpy())]


def test_seasonality_alone_is_not_flagged() -> None:
    result = detect(seasonal_counts(), "15m")
    assert flagged(result) == []
    # Weekends are judged against weekends: their z stays in the noise band.
    weekend = result["timestamp"].dt.day_of_week >= 5
    assert result.loc[weekend, "z"].abs().max() < 4


def test_planted_spike_and_drop_are_found_with_direction() -> None:
    series = seasonal_counts()
    spike, drop = 20 * DAY + 40, 24 * DAY + 50
    series.iloc[spike] *= 3
    series.iloc[drop] *= 0.2
    result = detect(series, "15m")
    assert flagged(result) == [spike, drop]
    assert result.loc[spike, "direction"] == "spike"
    assert result.loc[spike, "z"] >= 4
    assert result.loc[drop, "direction"] == "drop"
    assert result.loc[drop, "z"] <= -4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flat_noisy_counts_stay_quiet(seed: int) -> None:
    index = pd.date_range("2024-03-01", periods=60 * 24, freq="1h", tz="UTC")
    values = np.random.default_rng(seed).poisson(120, len(index)).astype(float)
    result = detect(pd.Series(values, index=index), "1h")
    assert flagged(result) == []


def test_flat_noisy_gauges_alert_no_more_than_sigma_allows() -> None:
    """Pure normal noise crosses 4 sigma about once in 16,000 buckets; over 20 three-week gauges
    (~27,000 scored buckets) that is ~2 flags. A detector judging noise by a too-narrow band would
    flag dozens (3.5 sigma already ~13), and any flag it raises must be an extreme of the noise."""
    index = pd.date_range("2024-03-01", periods=21 * DAY, freq="15min", tz="UTC")
    extremes = []
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(0, 0.5, len(index))
        result = detect(pd.Series(50 + noise, index=index), "15m", DetectorSettings(kind="gauge"))
        extremes += [abs(noise[i]) / 0.5 for i in flagged(result)]
    assert len(extremes) <= 4
    assert all(extreme >= 3.5 for extreme in extremes)


def test_constant_series_does_not_alert_on_a_one_count_wiggle() -> None:
    index = pd.date_range("2024-03-01", periods=30, freq="D", tz="UTC")
    values = np.full(len(index), 400.0)
    values[-1] = 430.0  # within sqrt(400) * 4 = 80, and within 5% * 4 = 20%
    result = detect(pd.Series(values, index=index), "1d")
    assert not result["is_anomaly"].any()
    # Spread floors: sqrt(expected) for counts, a few percent of expected; a count's band also carries
    # the Poisson sampling noise of its expectation (median of 14 days, weekday effect of 4 weeks), so it
    # is wider than the floor alone, but by no more than that noise (about 0.9 * expected here). The band
    # is the count law's 4-sigma quantile, whose upper tail is a little longer than a normal's.
    last = result.iloc[-1]
    assert last["expected"] == pytest.approx(400.0)
    floor = max(np.sqrt(400), 0.05 * 400)
    assert 4 * floor < last["upper"] - last["expected"] <= 1.1 * 4 * np.sqrt(floor**2 + 400)
    assert 4 * floor < last["expected"] - last["lower"] <= 4 * np.sqrt(floor**2 + 400)


def test_past_incident_neither_masks_a_later_one_nor_pollutes_the_baseline() -> None:
    clean = detect(seasonal_counts(), "15m")
    series = seasonal_counts()
    earlier, later = 10 * DAY + 44, 17 * DAY + 44  # the same slot, one week apart
    series.iloc[earlier] *= 4
    series.iloc[later] *= 4
    result = detect(series, "15m")
    assert {earlier, later} <= set(flagged(result))
    # The expectation at the later incident is what it would have been without the first one.
    assert result.loc[later, "expected"] == pytest.approx(clean.loc[later, "expected"], rel=0.05)


def test_day_long_outage_does_not_mask_a_later_drop() -> None:
    series = seasonal_counts()
    series.iloc[9 * DAY : 10 * DAY] = 0.0
    later = 18 * DAY + 48
    series.iloc[later] *= 0.3
    result = detect(series, "15m")
    assert later in flagged(result)
    assert result.loc[later, "direction"] == "drop"


def test_huge_spike_as_the_last_point_is_detected() -> None:
    series = seasonal_counts(days=15).iloc[: 14 * DAY + 48]  # ends at noon, a busy slot
    series.iloc[-1] = series.iloc[-1] * 50
    result = detect(series, "15m")
    assert bool(result["is_anomaly"].iloc[-1])
    assert result["expected"].iloc[-1] < series.iloc[-1] / 10


def test_changing_a_future_value_never_changes_an_earlier_verdict() -> None:
    series = seasonal_counts(days=21)
    cut = 16 * DAY
    altered = series.copy()
    altered.iloc[cut:] = altered.iloc[cut:] * 7 + 1000
    before = detect(series, "15m").iloc[:cut]
    after = detect(altered, "15m").iloc[:cut]
    pd.testing.assert_frame_equal(before, after)


def test_too_little_history_gives_no_verdict() -> None:
    """A series with a daily rhythm needs min_history_buckets comparables of the same slot."""
    series = seasonal_counts(days=10)
    series.iloc[3 * DAY] *= 10  # an obvious spike, but only three earlier days to compare with
    result = detect(series, "15m")
    early = result.iloc[: 7 * DAY]
    assert early["expected"].isna().all()
    assert early["z"].isna().all()
    assert not early["is_anomaly"].any()
    assert result.iloc[7 * DAY :]["expected"].notna().all()


def flat_gauge(days: int, seed: int = 11) -> pd.Series:
    """A machine gauge with no daily rhythm: noise around a level (CPU percent), starting on a Monday."""
    index = pd.date_range("2024-01-01", periods=days * DAY, freq="15min", tz="UTC")
    return pd.Series(40 + np.random.default_rng(seed).normal(0, 2, len(index)), index=index)


def test_a_series_without_daily_rhythm_is_judged_on_its_recent_buckets_after_two_days() -> None:
    """Warm-up (SEMANTICS §4): without a daily rhythm the comparables are the recent buckets, so a spike
    on day 3 is found; still no verdict before a day of one-day differences is known (day 2)."""
    series = flat_gauge(days=10)
    spike = 3 * DAY + 20
    series.iloc[spike] = 70.0
    result = detect(series, "15m", DetectorSettings(kind="gauge"))
    assert result["expected"].iloc[: 2 * DAY].isna().all()
    assert result["expected"].iloc[2 * DAY + 1 : 5 * DAY].notna().all()  # Monday start: Wednesday to Friday
    assert flagged(result) == [spike]
    assert result.loc[spike, "direction"] == "spike"


def test_warm_up_keeps_quiet_on_noise_and_on_a_first_weekend() -> None:
    """Flat noise draws no warm-up verdict, and a weekly rhythm the first week cannot show (weekends at
    half the weekday level) is not a drop: a first weekend has no comparable day before it. Counts keep
    the seasonal history (no verdict in their first week)."""
    for seed in range(5):
        assert flagged(detect(flat_gauge(days=9, seed=seed), "15m", DetectorSettings(kind="gauge"))) == []
    index = pd.date_range("2024-01-01", periods=14 * DAY, freq="15min", tz="UTC")
    level = np.where(index.day_of_week >= 5, 100.0, 200.0)
    gauge = pd.Series(level + np.random.default_rng(3).normal(0, 5, len(index)), index=index)
    result = detect(gauge, "15m", DetectorSettings(kind="gauge"))
    assert result["expected"].iloc[2 * DAY + 1 : 5 * DAY].notna().all()  # weekdays: judged
    assert result["expected"].iloc[5 * DAY : 5 * DAY + 48].isna().all()  # first Saturday morning: no verdict
    assert flagged(result) == []
    counts = detect(pd.Series(np.random.default_rng(3).poisson(level).astype(float), index=index), "15m")
    assert counts["expected"].iloc[: 7 * DAY].isna().all()


def test_min_history_setting_moves_the_first_verdict() -> None:
    series = seasonal_counts(days=10)
    settings = DetectorSettings(min_history_buckets=3)
    result = detect(series, "15m", settings)
    assert result["expected"].iloc[3 * DAY - 1 : 3 * DAY + 1].isna().tolist() == [True, False]


def test_small_volumes_are_judged_as_counts_and_the_floor_is_optional() -> None:
    series = seasonal_counts(level=10)
    series.iloc[20 * DAY + 40] *= 5
    result = detect(series, "15m")
    assert result["expected"].max() < 50
    assert flagged(result) == [20 * DAY + 40]
    floored = detect(series, "15m", DetectorSettings(min_expected_count=50))
    assert not floored["is_anomaly"].any()


def test_level_shift_becomes_the_new_normal() -> None:
    series = seasonal_counts()
    shift = 18 * DAY
    series.iloc[shift:] *= 2
    result = detect(series, "15m")
    hits = flagged(result)
    assert hits
    assert hits[0] >= shift
    # After a couple of days the doubled level is expected, not alerted on.
    assert all(i < shift + 2 * DAY for i in hits)


def test_rows_follow_input_order_and_missing_count_buckets_read_as_zero() -> None:
    series = seasonal_counts(days=14)
    shuffled = series.sample(frac=1.0, random_state=5)
    result = detect(shuffled, "15m")
    assert list(result["timestamp"]) == list(shuffled.index)
    assert list(result["value"]) == list(shuffled.to_numpy())
    gappy = series.drop(series.index[8 * DAY : 8 * DAY + 4])
    gap_result = detect(gappy, "15m")
    assert len(gap_result) == len(gappy)
    # The zero-filled hour is part of later baselines exactly as if it had been stored as zeros.
    zeros = series.copy()
    zeros.iloc[8 * DAY : 8 * DAY + 4] = 0.0
    full = detect(zeros, "15m").set_index("timestamp")
    pd.testing.assert_frame_equal(gap_result.set_index("timestamp"), full.loc[gappy.index.rename(None)])


def test_naive_timestamps_are_utc_and_duplicates_in_a_bucket_are_refused() -> None:
    series = seasonal_counts(days=8)
    naive = series.copy()
    naive.index = naive.index.tz_localize(None)
    pd.testing.assert_frame_equal(detect(naive, "15m"), detect(series, "15m"))
    doubled = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01T00:01Z", "2024-01-01T00:07Z"]))
    with pytest.raises(ValueError, match="more than one value in the 15m bucket"):
        detect(doubled, "15m")


def test_unknown_interval_and_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown interval '5m'"):
        detect(seasonal_counts(days=1), "5m")
    with pytest.raises(ValueError, match="min_history_buckets"):
        DetectorSettings(min_history_buckets=20)


@pytest.mark.parametrize(("interval", "freq", "periods"), [("1h", "1h", 24 * 60), ("1d", "1D", 120)])
def test_other_intervals_find_a_spike(interval: str, freq: str, periods: int) -> None:
    index = pd.date_range("2024-01-01", periods=periods, freq=freq, tz="UTC")
    rng = np.random.default_rng(7)
    weekly = np.where(index.day_of_week >= 5, 0.5, 1.0)
    values = rng.poisson(1000 * weekly).astype(float)
    target = periods - 10
    values[target] *= 2
    result = detect(pd.Series(values, index=index), interval)
    assert flagged(result) == [target]


def test_weekly_interval_compares_with_previous_weeks() -> None:
    index = pd.date_range("2024-01-01", periods=30, freq="7D", tz="UTC")
    values = np.random.default_rng(8).poisson(5000, len(index)).astype(float)
    values[-1] = 2000
    result = detect(pd.Series(values, index=index), "1w")
    assert flagged(result) == [len(index) - 1]
    assert result["expected"].iloc[:7].isna().all()


def test_forecast_matches_the_expectation_detect_will_use() -> None:
    series = seasonal_counts(days=21)
    history, nxt = series.iloc[:-1], series.index[-1]
    ahead = forecast(history, "15m", horizon=1)
    scored = detect(series, "15m").iloc[-1]
    assert ahead["timestamp"].iloc[0] == nxt
    assert ahead["expected"].iloc[0] == pytest.approx(scored["expected"])
    assert ahead["lower"].iloc[0] == pytest.approx(scored["lower"])
    assert ahead["upper"].iloc[0] == pytest.approx(scored["upper"])


def test_forecast_bounds_follow_sigma_and_floor_at_zero() -> None:
    series = seasonal_counts(days=21)
    ahead = forecast(series, "15m", horizon=8)
    assert len(ahead) == 8
    assert (ahead["timestamp"].diff().dropna() == pd.Timedelta(minutes=15)).all()
    assert (ahead["lower"] <= ahead["expected"]).all()
    assert (ahead["expected"] <= ahead["upper"]).all()
    assert (ahead["lower"] >= 0).all()
    # A higher sigma widens the band: about twice as far at 8 as at 4 (a little more above, where the
    # count law's tail is longer than a normal's: up to ~4x for sparse buckets judged with sums).
    wide = forecast(series, "15m", DetectorSettings(sigma_threshold=8), horizon=8)
    ratio = (wide["upper"] - wide["expected"]) / (ahead["upper"] - ahead["expected"])
    assert ((ratio > 1.9) & (ratio < 4.5)).all()
    # A small count's band would reach below zero; counts are floored there.
    days = pd.date_range("2024-01-01", periods=20, freq="D", tz="UTC")
    small = forecast(pd.Series(np.tile([1.0, 0.0, 3.0, 2.0], 5), index=days), "1d", horizon=2)
    assert (small["lower"] == 0).all()
    assert (small["upper"] > 0).all()


def test_forecast_without_history_has_no_expectation() -> None:
    ahead = forecast(seasonal_counts(days=3), "15m", horizon=2)
    assert ahead["expected"].isna().all()
    with pytest.raises(ValueError, match="horizon"):
        forecast(seasonal_counts(days=3), "15m", horizon=0)


def test_a_lasting_incident_is_one_anomaly_at_its_onset_with_z_kept_per_bucket() -> None:
    series = seasonal_counts()
    start = 20 * DAY + 40  # 10:00, a busy slot
    series.iloc[start : start + 12] *= 0.2  # a three-hour drop
    result = detect(series, "15m")
    assert flagged(result) == [start]
    assert result.loc[start, "direction"] == "drop"
    # Every bucket of the incident is still scored: out of band, but not a new signal.
    assert (result.loc[start : start + 11, "z"] <= -4).all()
    assert result.loc[start + 1 : start + 11, "direction"].isna().all()


def test_a_second_incident_is_a_new_anomaly_only_after_the_quiet_period() -> None:
    series = seasonal_counts()
    first, soon, later = 20 * DAY + 40, 20 * DAY + 48, 21 * DAY + 48  # +2 h, then the next day
    for i in (first, soon, later):
        series.iloc[i] *= 3
    result = detect(series, "15m")
    # Two hours after the first spike it is still the same incident; a day later it is a new one.
    assert flagged(result) == [first, later]
    assert result.loc[soon, "z"] >= 4


def test_level_shift_is_one_signal() -> None:
    series = seasonal_counts()
    shift = 18 * DAY + 40
    series.iloc[shift:] *= 2
    assert flagged(detect(series, "15m")) == [shift]


def test_recurring_bursts_on_one_side_become_normal_without_hiding_the_other_side() -> None:
    """A load-like gauge bursts upwards at a random time every other day: after two weeks those bursts
    are its normal (no alerts), while its lower band stays as tight as its noise, so a drop is found."""
    index = pd.date_range("2024-01-01", periods=28 * DAY, freq="15min", tz="UTC")
    rng = np.random.default_rng(7)
    hour = index.hour + index.minute / 60
    values = 50 + 10 * np.sin(2 * np.pi * hour.to_numpy() / 24) + rng.normal(0, 1, len(index))
    for day in range(1, 28, 2):
        values[day * DAY + rng.integers(0, DAY)] += rng.uniform(25, 40)
    drop = 25 * DAY + 60
    values[drop : drop + 16] -= 25
    result = detect(pd.Series(values, index=index), "15m", DetectorSettings(kind="gauge"))
    late = [i for i in flagged(result) if i >= 14 * DAY]
    assert late == [drop]
    assert result.loc[drop, "direction"] == "drop"


# -- counts judged as counts: low volumes and silence (SEMANTICS §4) ---------------------------------


def low_volume(level: float, days: int = 28, seed: int = 0) -> pd.Series:
    """Poisson counts with a daily wave and quieter weekends whose weekly mean is ``level`` a bucket."""
    index = pd.date_range("2024-01-01", periods=days * DAY, freq="15min", tz="UTC")
    hour = np.asarray(index.hour + index.minute / 60)
    shape = (1 + 0.7 * np.sin(2 * np.pi * (hour - 8) / 24)) * np.where(np.asarray(index.day_of_week) >= 5, 0.6, 1.1)
    rate = level * shape / shape.mean()
    return pd.Series(np.random.default_rng(seed).poisson(rate).astype(float), index=index)


@pytest.mark.parametrize("level", [1, 3])
def test_ordinary_noise_of_sparse_counts_is_quiet(level: float) -> None:
    """At 1-3 events a bucket most buckets are 0, 1 or 2 and the odd bucket holds 8: a z-score would alert
    on those, the count law does not (four weeks, three seeds each)."""
    for seed in range(3):
        assert flagged(detect(low_volume(level, seed=seed), "15m")) == []


def test_a_two_hour_stop_at_eight_a_bucket_is_a_silence_found_within_two_hours() -> None:
    series = low_volume(6)
    start = 22 * DAY + 40  # a Tuesday, 10:00: about 8 events a bucket
    assert series.iloc[start - 8 : start].mean() > 5
    series.iloc[start : start + 8] = 0.0
    result = detect(series, "15m")
    hits = flagged(result)
    assert len(hits) == 1
    assert start <= hits[0] < start + 8
    assert result.loc[hits[0], "direction"] == "silence"
    assert result.loc[hits[0], "z"] <= -4


def test_one_empty_bucket_at_eight_a_bucket_is_ordinary() -> None:
    series = low_volume(6)
    start = 22 * DAY + 40
    series.iloc[start] = 0.0  # e^-8: rare for one bucket, not for four weeks of them
    assert flagged(detect(series, "15m")) == []


def test_a_silence_closes_when_data_returns_and_a_second_one_is_found_again() -> None:
    """A stop, data back, then the same stop five days later: the first silence is in the history when
    the second comes, and does not make it plausible (one earlier outage never masks the next)."""
    series = low_volume(6)
    first, second = 17 * DAY + 40, 22 * DAY + 40
    for start in (first, second):
        series.iloc[start : start + 8] = 0.0
    result = detect(series, "15m")
    hits = flagged(result)
    assert len(hits) == 2
    assert first <= hits[0] < first + 8
    assert second <= hits[1] < second + 8
    assert set(result.loc[hits, "direction"]) == {"silence"}
    # Once data returns the series is not silent any more: no verdict on the buckets after it.
    assert not result.loc[second + 8 : second + 40, "is_anomaly"].any()


def test_nightly_gaps_are_plausible_silences() -> None:
    """A series that goes quiet every night has made that silence its normal."""
    series = low_volume(6)
    night = np.asarray(series.index.hour < 5)
    series[night] = 0.0
    assert flagged(detect(series, "15m")) == []


def test_a_doubling_of_a_sparse_series_is_found_over_its_hour() -> None:
    series = low_volume(8)
    start = 22 * DAY + 40
    series.iloc[start : start + 12] *= 2  # one bucket alone: ~3 sigma; the hour: well beyond 4
    hits = flagged(detect(series, "15m"))
    assert len(hits) == 1
    assert start <= hits[0] < start + 8


def test_a_three_hour_doubling_at_ten_a_bucket_is_found_where_no_bucket_shows_it() -> None:
    """At a weekly mean of 10 the doubling (one more Poisson draw of the expectation in each bucket) starts
    where the expectation is 12-20 a bucket: a doubled bucket is only ~3 of its spreads, so the hour's sum
    must be looked at, also above sigma² = 16 events. Found within two hours in at least 17 of 20 series
    (19 measured; with sums only below 16 events a bucket and a 15% shared error: 10), one signal each;
    the same series undoubled stay quiet."""
    start = 22 * DAY + 40  # a Tuesday, 10:00
    found = 0
    for seed in range(20):
        series = low_volume(10, seed=seed)
        result = detect(series, "15m")
        assert flagged(result) == []
        more = np.random.default_rng(100 + seed).poisson(result["expected"].to_numpy()[start : start + 12])
        series.iloc[start : start + 12] += more
        hits = flagged(detect(series, "15m"))
        assert len(hits) <= 1
        found += len(hits) == 1 and start <= hits[0] < start + 8
    assert found >= 17


def test_sparse_and_busy_count_tails_mean_the_same_rarity() -> None:
    """sigma is the same rarity at any volume: a count whose Poisson tail is below Φ(-4) has |z| ≥ 4."""
    from scipy import stats

    from tripl_core.analysis import counts

    for mean in (2.0, 8.0, 50.0, 3000.0):
        upper = stats.poisson.isf(stats.norm.sf(4), mean) + 1  # the first count rarer than 4 sigma
        lower = stats.poisson.ppf(stats.norm.cdf(-4), mean) - 1
        z = counts.tail_z(np.array([upper, max(lower, 0.0)]), np.full(2, mean), np.full(2, mean))
        assert z[0] >= 4
        if lower >= 0:
            assert z[1] <= -4


def test_a_silence_is_one_incident_until_data_returns() -> None:
    """An event at 8 a quarter-hour with no daily rhythm stops on a Friday and stays silent for five days:
    one silence, found within two hours, not raised again over the weekend or once its length has become
    plausible (it closes only when data returns)."""
    index = pd.date_range("2024-01-01", periods=16 * DAY, freq="15min", tz="UTC")
    values = np.random.default_rng(4).poisson(8, len(index)).astype(float)
    stop = 11 * DAY + 40  # a Friday, 10:00
    values[stop:] = 0
    result = detect(pd.Series(values, index=index), "15m")
    (onset,) = flagged(result)
    assert stop <= onset < stop + 8
    assert result.loc[onset, "direction"] == "silence"


# -- sustained deviations of gauges (SEMANTICS §4) -----------------------------------------------------


def seasonal_gauge(seed: int, days: int = 21) -> pd.Series:
    """A gauge with a daily wave and unit normal noise, starting on a Monday."""
    index = pd.date_range("2024-03-04", periods=days * DAY, freq="15min", tz="UTC")
    hour = (index.hour + index.minute / 60).to_numpy()
    noise = np.random.default_rng(seed).normal(0, 1, len(index))
    return pd.Series(50 + 10 * np.sin(2 * np.pi * hour / 24) + noise, index=index)


def test_a_sustained_shift_no_single_bucket_reveals_is_found_once() -> None:
    """Three hours at +3 noise sigmas: no bucket is four spreads out, but their mean is far beyond what
    means of three hours stray in the series' history. Found within the three hours in 9 of 10 series
    (without the sustained look: 4 of 10), as one spike; elsewhere at most the one 4-sigma extreme that
    ten series of noise make likely (~13,000 judged buckets)."""
    start, width = 18 * DAY + 40, 12
    found, elsewhere = 0, []
    for seed in range(10):
        series = seasonal_gauge(seed)
        series.iloc[start : start + width] += 3.0
        result = detect(series, "15m", DetectorSettings(kind="gauge"))
        inside = [i for i in flagged(result) if start <= i < start + width]
        elsewhere += [i for i in flagged(result) if i >= 7 * DAY and not start <= i < start + width]
        found += len(inside) == 1 and result.loc[inside[0], "direction"] == "spike"
    assert found >= 9
    assert len(elsewhere) <= 1


def test_a_lasting_gauge_shift_is_one_signal_and_seasonality_alone_stays_quiet() -> None:
    """A gauge whose level moves for good raises one signal (the run of deviations is one incident), and
    the same gauges without it raise none: a daily wave and noise are no sustained deviation."""
    shift = 18 * DAY + 40
    clean_flags = []
    for seed in range(10):
        clean_flags += flagged(detect(seasonal_gauge(seed), "15m", DetectorSettings(kind="gauge")))
        series = seasonal_gauge(seed)
        series.iloc[shift:] += 3.0
        hits = [i for i in flagged(detect(series, "15m", DetectorSettings(kind="gauge"))) if i >= shift]
        assert len(hits) == 1
        assert hits[0] < shift + 24  # within six hours
    # Noise alone: at most the one 4-sigma extreme ten series make likely.
    assert len(clean_flags) <= 1



def test_a_drop_of_a_sparse_series_is_found_even_where_its_sum_first_crosses_on_an_empty_bucket() -> None:
    """At 3 events a bucket a drop to 15% for six hours leaves most buckets empty; an empty bucket is never a
    drop of its own (only a silence), so the sums' verdict lands on the first non-empty bucket while they
    are beyond the threshold. Found in at least 19 of 20 series (20 measured; 18 when a sum's first crossing
    on an empty bucket lost the incident), nothing else flagged."""
    start = 22 * DAY + 36  # a Tuesday, 09:00
    found = 0
    for seed in range(20):
        series = low_volume(3, seed=seed)
        kept = np.random.default_rng(500 + seed).binomial(series.iloc[start : start + 24].astype(int), 0.15)
        series.iloc[start : start + 24] = kept
        hits = flagged(detect(series, "15m"))
        assert all(start <= i < start + 24 for i in hits), hits
        found += len(hits) == 1
    assert found >= 19

# -- bursty counts: repeated bursts are the series' normal, a clearly larger one is not (``bursts``) ---------


def bursty(level: float = 20.0, days: int = 35, seed: int = 0) -> tuple[pd.Series, float, list[int]]:
    """``low_volume`` counts plus the series' own bursts, media-mention style: every 2-4 days at a random
    time one burst of peak ``3 × level`` (× 0.8-1.2) events above the rhythm, decaying over about an hour.
    Returns the series, the ordinary peak and the bursts' first buckets."""
    series = low_volume(level, days=days, seed=seed)
    rng = np.random.default_rng(1000 + seed)
    peak = 3 * level
    decay = np.exp(-np.arange(8) / 2)
    starts, day = [], float(rng.uniform(0, 2))
    while (start := int(day * DAY)) < len(series) - len(decay):
        extra = rng.poisson(peak * rng.uniform(0.8, 1.2) * decay)
        series.iloc[start : start + len(decay)] += extra
        starts.append(start)
        day += rng.uniform(2, 4)
    return series, peak, starts



def test_flat_overdispersed_busy_counts_stay_nearly_quiet() -> None:
    """200 events a bucket varying far more than Poisson (negative binomial, dispersion 5 and 1.5: a spread of
    90-165 events): judged over sums too (their effective count is below 64), they draw no more than the
    sigma rarity allows — at most 4 signals over twelve series' three judged weeks (4 measured; 9 before
    the bursts bound and the effective-count sums)."""
    index = pd.date_range("2024-01-01", periods=28 * DAY, freq="15min", tz="UTC")
    signals = 0
    for dispersion in (5.0, 1.5):
        for seed in range(6):
            rng = np.random.default_rng(seed)
            values = rng.poisson(rng.gamma(dispersion, 200 / dispersion, len(index))).astype(float)
            signals += len(flagged(detect(pd.Series(values, index=index), "15m")))
    assert signals <= 4

def test_repeated_ordinary_bursts_are_not_flagged_each_time() -> None:
    """Once two weeks of a series' bursts are known, its next ordinary bursts are its normal: over six
    series, at most 3 of their 42 later bursts raise a signal (2 measured; with the bounded tail allowance
    alone, without ``bursts``, 40 did: a peak of ~10 spreads at 20 events a bucket)."""
    later_bursts, late_flags = 0, 0
    for seed in range(6):
        series, _, starts = bursty(seed=seed)
        later_bursts += len([s for s in starts if s >= 14 * DAY])
        late_flags += len([i for i in flagged(detect(series, "15m")) if i >= 14 * DAY])
    assert later_bursts >= 35
    assert late_flags <= 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_burst_clearly_larger_than_the_series_repeated_bursts_is_found_and_does_not_mask_the_next(
        seed: int) -> None:
    """Two bursts three times the series' usual peak, four days apart, between its ordinary bursts: both are
    spikes at their first bucket (the first is not the series' normal yet: one incident never is)."""
    series, peak, starts = bursty(seed=seed)
    planted = []
    for day in (22, 26):
        # Midway between two ordinary bursts (their decay is over within two hours).
        after = max(s for s in starts if s < day * DAY)
        start = after + (min(s for s in starts if s > after) - after) // 2
        series.iloc[start : start + 4] += 3 * peak * np.exp(-np.arange(4) / 2)
        planted.append(start)
    result = detect(series, "15m")
    # (Drops are not this test's business: one seed's rhythm model misses a night by half once.)
    assert [i for i in flagged(result) if i >= 20 * DAY and result.loc[i, "direction"] == "spike"] == planted


def gappy_gauge(seed: int, days: int = 21, present: float = 0.35) -> pd.Series:
    """A seasonal gauge read irregularly (a road sensor): each 15-minute bucket holds a value with
    probability ``present`` (gaps stay unknown)."""
    series = seasonal_gauge(seed, days)
    keep = np.random.default_rng(seed + 100).random(len(series)) < present
    return series[keep]


def test_a_gappy_gauge_gets_verdicts_from_its_bridged_history_and_stays_quiet() -> None:
    """Read in about a third of its buckets, a gauge rarely has seven earlier days with a value in the same
    slot, so most of its buckets got no verdict (NAB's TravelTime series: 5-20% of buckets judged). Where
    that is so, its history is bridged with the last value for up to 30 minutes: a +15 spike on day 12 is
    found in 8 of 10 series (1 without the bridge: no verdict), noise stays quiet, and no later value
    changes an earlier verdict."""
    found, elsewhere, judged = 0, 0, []
    for seed in range(10):
        series = gappy_gauge(seed)
        spike = int(np.searchsorted(series.index, series.index[0] + pd.Timedelta(days=12, hours=9)))
        series.iloc[spike] += 15.0
        result = detect(series, "15m", DetectorSettings(kind="gauge"))
        judged.append(result["expected"].iloc[len(series) // 2 :].notna().mean())
        found += spike in flagged(result)
        elsewhere += len([i for i in flagged(result) if i != spike])
    assert found >= 7
    assert elsewhere <= 1
    assert min(judged) > 0.85
    series = gappy_gauge(1)
    full = detect(series, "15m", DetectorSettings(kind="gauge"))
    cut = len(series) * 2 // 3
    changed = series.copy()
    changed.iloc[cut:] += 50.0
    later = detect(changed, "15m", DetectorSettings(kind="gauge"))
    pd.testing.assert_frame_equal(full.iloc[:cut], later.iloc[:cut])


def test_autocorrelated_gauge_noise_draws_no_sustained_verdict_before_its_means_are_calibrated() -> None:
    """The sustained look judges a 3-hour mean only once three earlier days of such means are known (its
    scale and its plausibility bound need them). Means from before the first verdict are unknown, not 0:
    read as 0 they made every first mean "beyond the usual" and judged it by the bare noise floor, so a
    warm machine gauge (AR(1) noise, no rhythm) drew sustained flags on days 3-7. Over 40 series of nine
    days: 8 flags (19 before the fix), none on days 3-6."""
    flags = []
    for seed in range(40):
        index = pd.date_range("2024-01-01", periods=9 * DAY, freq="15min", tz="UTC")
        noise = np.random.default_rng(seed).normal(0, 1, len(index))
        wander = np.zeros(len(index))
        for i in range(1, len(index)):
            wander[i] = 0.8 * wander[i - 1] + noise[i]
        result = detect(pd.Series(40 + wander, index=index), "15m", DetectorSettings(kind="gauge"))
        flags += [i / DAY for i in flagged(result)]
    assert len(flags) <= 10
    assert not [day for day in flags if 3 <= day < 6]


def clustered_bursts(level: float, seed: int, days: int = 35) -> pd.Series:
    """``low_volume`` counts plus heavy ordinary bursts: every 2-3 days a cluster of three bursts two hours
    apart, each of peak 4 × level (× 0.7-1.3) decaying over two hours, so an hour or a day of them holds
    as many extra events as a doubling of the level does."""
    series = low_volume(level, days=days, seed=seed)
    rng = np.random.default_rng(2000 + seed)
    decay = np.exp(-np.arange(48) / 8)
    day = float(rng.uniform(0, 2))
    while (start := int(day * DAY)) < len(series) - 80:
        for burst in range(3):
            first = start + 8 * burst
            series.iloc[first : first + len(decay)] += rng.poisson(4 * level * rng.uniform(0.7, 1.3) * decay)
        day += rng.uniform(2, 3)
    return series


def test_a_lasting_doubling_hidden_by_the_series_bursts_is_found_by_its_median_within_a_day() -> None:
    """A step to 2.2 × the level is as large in events over an hour or a day as the series' burst clusters,
    so the bursts bound holds its bucket and sums back; the median of the last day's residuals moves with
    the step and hardly with bursts (``shifts``). Found within a day in 7 of 8 series (4 without the
    median look)."""
    found = 0
    for seed in range(8):
        series = clustered_bursts(50.0, seed)
        start = 24 * DAY + 40
        before = series.iloc[start:].to_numpy()
        series.iloc[start:] = before + np.random.default_rng(50 + seed).poisson(1.2 * before)
        found += any(start <= i < start + DAY for i in flagged(detect(series, "15m")))
    assert found >= 6


def test_one_earlier_dip_of_a_young_gauge_does_not_mask_the_next() -> None:
    """A gauge's tail allowance, once five days of its worst surprises are known, is their third-largest (a
    dip seen on three days is the series' normal): the 0.8 quantile of five days sat between their
    second-largest and largest, so one dip on day 3 of a rhythm-less gauge (45 minutes at -9 noise sigmas)
    hid the same dip on day 6 in all of 10 series. Now the second is found in 7 of 10, nothing else."""
    found, other = 0, 0
    for seed in range(10):
        series = flat_gauge(12, seed)
        dips = [day * DAY + 30 + 3 * seed for day in (3, 6)]
        for dip in dips:
            series.iloc[dip : dip + 3] -= 18.0
        hits = flagged(detect(series, "15m", DetectorSettings(kind="gauge")))
        found += any(dips[1] <= i < dips[1] + 3 for i in hits)
        other += len([i for i in hits if not any(dip <= i < dip + 3 for dip in dips)])
    assert found >= 6
    assert other == 0
