"""Volume anomaly detection and forecasting (SEMANTICS.md §4), as pure functions over pandas data.

``detect`` scores every bucket of a series against a seasonal baseline built only from earlier buckets
(see ``seasonal``), counts by their count law and sums (``counts``, ``aggregates``, ``silence``), gauges
by their residual and a sustained mean (``sustained``); a rise of a count, or an excursion of a gauge,
must also be clearly larger than the series' usual bursts (``bursts``), and a count's lasting step shows
in the median of its last day's residuals (``shifts``). A gauge read irregularly takes its comparables
from its history bridged over short gaps (``_with_gaps_bridged``). ``forecast`` applies the same
model to the buckets after the series. Both take a ``pandas.Series`` of values indexed by bucket timestamps (UTC;
naive timestamps are read as UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from statistics import NormalDist
from typing import TypeAlias

import numpy as np
import pandas as pd
from scipy import special

from tripl_core.analysis import aggregates, bursts, counts, shifts, silence, sustained, warmup
from tripl_core.analysis.detector_settings import DetectorSettings, SeriesKind
from tripl_core.analysis.seasonal import (
    Baseline,
    Seasonality,
    along_time,
    bucket_floor,
    earlier,
    interval_step,
    lagged,
    moving,
    rolling,
    seasonal_baseline,
    seasonality,
)

DetectionResult: TypeAlias = pd.DataFrame
"""One row per input point: timestamp, value, expected, lower, upper, z, is_anomaly, direction.

expected/lower/upper/z are NaN where there is no verdict; is_anomaly is then False and direction None.
"""
ForecastResult: TypeAlias = pd.DataFrame
"""One row per future bucket: timestamp, expected, lower, upper (NaN when the history is too short)."""

DETECTION_COLUMNS = ("timestamp", "value", "expected", "lower", "upper", "z", "is_anomaly", "direction")
FORECAST_COLUMNS = ("timestamp", "expected", "lower", "upper")
# Keeps z finite when a gauge has been perfectly constant (spread would otherwise be zero).
_SPREAD_EPSILON = 1e-9
# Median of |x| for a standard normal x: turns a median absolute error into a standard deviation.
_HALF_NORMAL_MEDIAN = NormalDist().inv_cdf(0.75)
# Blocks of at least this many buckets measure "the worst surprise of a typical day".
_MIN_BLOCK_BUCKETS = 7
# Earlier blocks needed before their typical worst surprise is trusted.
_MIN_TAIL_BLOCKS = 3
# Which quantile of the earlier blocks' worst surprises (per side) sets the tail allowance of counts (and
# of gauges with fewer than ``_GAUGE_RANK_FROM`` earlier blocks): a surprise that came on at least one day
# in five of the last two weeks is the series' normal. Incidents rarer than that (up to two days in
# fourteen) sit above this quantile, so they cannot mask the next one.
_TAIL_QUANTILE = 0.8
# Gauges: the ``silence.PLAUSIBLE_DAYS``-th largest (third) of the earlier blocks' worst surprises sets the
# allowance once this many blocks are known (from five, the third-largest is at least the median day's).
_GAUGE_RANK_FROM = 2 * silence.PLAUSIBLE_DAYS - 1
# An incident stays open while out-of-band buckets keep coming less than this apart; only its first
# bucket is an anomaly (one signal per incident), so a deviation lasting hours, its flickering and the
# rebound after it raise one alert, not one per bucket.
INCIDENT_QUIET = pd.Timedelta(hours=12)
# Series scored together by ``detect_many``: the baseline holds (series x buckets x comparables) floats,
# so small batches keep it in cache (32 measured fastest on two weeks of 15-minute buckets: the sorting
# network for the comparables' MAD runs over a dozen arrays of series x buckets at once).
_BATCH_SERIES = 32


def detect(
    series: pd.Series, interval: str, settings: DetectorSettings | None = None
) -> DetectionResult:
    """Score each point of ``series`` only from the buckets before it.

    The series holds one value per bucket of ``interval`` (15m/1h/6h/1d/1w); timestamps are floored to
    their bucket, and two points in one bucket are refused. Inside the covered range, missing buckets
    of a count series read as 0 and those of a gauge as unknown. Rows come back in input order.
    """
    settings = settings or DetectorSettings()
    buckets = _buckets(series, interval)
    grid = _regular_grid(buckets, series.to_numpy(dtype=float), interval, settings.kind)
    values = grid.to_numpy(dtype=float)
    expected, spread, early = _model(values, interval, settings, grid.index)
    scored = pd.DataFrame(_score(values, expected, spread, settings, interval, early))
    scored["direction"] = pd.Series(_directions(scored.pop("is_anomaly").to_numpy(), scored["z"].to_numpy(),
                                                scored.pop("is_silence").to_numpy()), dtype=object)
    scored["is_anomaly"] = scored["direction"].notna()
    scored = scored[["value", "expected", "lower", "upper", "z", "is_anomaly", "direction"]]
    scored.insert(0, "timestamp", grid.index)
    positions = grid.index.get_indexer(buckets)
    return scored.iloc[positions].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class BatchDetection:
    """``detect`` for many series on one grid: arrays ``(series, buckets)``, same verdicts as ``detect``
    of each column on its own."""

    timestamps: pd.DatetimeIndex
    columns: pd.Index
    value: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    z: np.ndarray
    is_anomaly: np.ndarray
    is_silence: np.ndarray
    """Whether each bucket is silent (SEMANTICS §4); an anomaly on a silent bucket is a ``silence``."""

    def direction(self) -> np.ndarray:
        return _directions(self.is_anomaly, self.z, self.is_silence)

    def first(self, buckets: int) -> BatchDetection:
        """The same batch over its first ``buckets`` buckets (a bucket's result never depends on later ones)."""
        arrays = {f.name: getattr(self, f.name)[:, :buckets] for f in fields(self)
                  if isinstance(getattr(self, f.name), np.ndarray)}
        return replace(self, timestamps=self.timestamps[:buckets], **arrays)


def detect_many(frame: pd.DataFrame, interval: str, settings: DetectorSettings | None = None) -> BatchDetection:
    """Score every column of ``frame`` (one series per column, indexed by bucket timestamps): the rows
    of ``frame`` are the grid, so its index must be every bucket from the first to the last (gaps of a
    count series as 0, of a gauge as NaN) — as ``detect`` would fill them for one series."""
    settings = settings or DetectorSettings()
    buckets = _buckets(frame[frame.columns[0]] if len(frame.columns) else pd.Series(index=frame.index), interval)
    step = interval_step(interval)
    if len(buckets) != (buckets.max() - buckets.min()) // step + 1 or not buckets.is_monotonic_increasing:
        raise ValueError("frame must hold every bucket of its range, in order")
    values = frame.to_numpy(dtype=float).T
    if settings.kind == "count":
        values = np.nan_to_num(values, nan=0.0)
    scored: dict[str, np.ndarray] = {}
    for first in range(0, max(len(values), 1), _BATCH_SERIES):
        chunk = values[first : first + _BATCH_SERIES]
        expected, spread, early = _model(chunk, interval, settings, buckets)
        for name, part in _score(chunk, expected, spread, settings, interval, early).items():
            # Written into arrays for the whole batch as they come (no concatenation of copies at the end).
            out = scored.setdefault(name, np.empty((len(values), *part.shape[1:]), dtype=part.dtype))
            out[first : first + len(part)] = part
    return BatchDetection(buckets, frame.columns, **scored)


def forecast(
    series: pd.Series,
    interval: str,
    settings: DetectorSettings | None = None,
    horizon: int = 1,
) -> ForecastResult:
    """Expected value and alert band of the ``horizon`` buckets after the series' last bucket.

    The same model as ``detect``: each future bucket is scored as if its value were unknown, so a
    one-bucket forecast equals the expectation ``detect`` will use once that bucket arrives.
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    settings = settings or DetectorSettings()
    buckets = _buckets(series, interval)
    grid = _regular_grid(buckets, series.to_numpy(dtype=float), interval, settings.kind)
    step = interval_step(interval)
    future = pd.date_range(grid.index[-1] + step, periods=horizon, freq=step)
    values = np.concatenate([grid.to_numpy(dtype=float), np.full(horizon, np.nan)])
    expected, spread, _ = _model(values, interval, settings, grid.index.append(future))
    future_only = slice(len(grid), None)
    expected = expected[future_only]
    spread = Spread(spread.below[future_only], spread.above[future_only], spread.bulk[future_only])
    looks = _looks_at(expected, spread.bulk, settings, len(_looks(interval, settings)))
    lower, upper = _band(expected, spread, settings, looks)
    return pd.DataFrame({"timestamp": future, "expected": expected, "lower": lower, "upper": upper})


def _buckets(series: pd.Series, interval: str) -> pd.DatetimeIndex:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError("series must be indexed by timestamps")
    if series.empty:
        raise ValueError("series is empty")
    index = series.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    buckets = bucket_floor(index, interval)
    if buckets.has_duplicates:
        first = buckets[buckets.duplicated()][0]
        raise ValueError(f"more than one value in the {interval} bucket starting {first.isoformat()}")
    return buckets


def _regular_grid(
    buckets: pd.DatetimeIndex, values: np.ndarray, interval: str, kind: SeriesKind
) -> pd.Series:
    step = interval_step(interval)
    full = pd.date_range(buckets.min(), buckets.max(), freq=step)
    grid = pd.Series(values, index=buckets).reindex(full)
    # Counts are zero-filled inside the stored range (SEMANTICS.md §3); a gauge's gap is unknown.
    return grid.fillna(0.0) if kind == "count" else grid


def _model(
    values: np.ndarray, interval: str, settings: DetectorSettings, timestamps: pd.DatetimeIndex
) -> tuple[np.ndarray, Spread, np.ndarray]:
    """Expected value and spread of every bucket (NaN expected where history is too short), and the
    expectation from half that history (``early``: it measures the series' usual bursts, ``bursts``, from
    before its first verdicts); ``timestamps`` are the buckets' (UTC), for the day types of warm-up
    comparables."""
    season = seasonality(interval)
    block = max(season.day, _MIN_BLOCK_BUCKETS)
    baseline = seasonal_baseline(
        values,
        season,
        window=settings.baseline_window_buckets,
        min_history=settings.min_history_buckets,
        multiplicative=settings.kind == "count",
    )
    if settings.kind == "gauge":
        baseline = _with_gaps_bridged(values, baseline, season, settings)
    # Calibration may already learn from buckets with a partial baseline, so that the spread is
    # realistic by the time verdicts start.
    partial = baseline.comparables >= max(1, settings.min_history_buckets // 2)
    calibrating = np.where(partial, baseline.expected, np.nan)
    spread = _calibrated_spread(values, calibrating, baseline, settings, block)
    if settings.kind == "count":
        spread = _with_expectation_noise(spread, baseline, season, settings.baseline_window_buckets)
        spread = replace(spread, shared=np.clip(baseline.expected, 0.0, None) * _expectation_noise(
            baseline, season, settings.baseline_window_buckets, shared_only=True))
    has_history = baseline.comparables >= settings.min_history_buckets
    expected = np.where(has_history, baseline.expected, np.nan)
    if settings.kind != "gauge":
        # Counts keep the seasonal history: at a few events a bucket Poisson noise hides a daily rhythm
        # from the rhythm test, and the demo's low-volume events drew warm-up spikes (docs/benchmarks.md).
        return expected, spread, calibrating
    # A mean of several residuals shares its buckets' expectation error (``sustained``).
    spread = replace(spread, shared=spread.bulk**2 * _expectation_noise(
        baseline, season, settings.baseline_window_buckets, shared_only=True))
    warm = warmup.warm_up(values, baseline.comparables, season, settings.min_history_buckets)
    if np.any(warm):
        weekend = np.asarray(timestamps.day_of_week >= 5)
        expected, spread = _with_warm_up(values, expected, spread, baseline, warm, weekend, settings, season, block)
    return expected, spread, calibrating


# How long a gauge's last value stands in for the buckets after it, where gaps leave a bucket too few
# comparables (``_with_gaps_bridged``).
GAP_BRIDGE = pd.Timedelta(minutes=30)


def _with_gaps_bridged(values: np.ndarray, baseline: Baseline, season: Seasonality, settings: DetectorSettings
                       ) -> Baseline:
    """The baseline of a gappy gauge, for buckets whose gaps leave fewer than ``min_history_buckets``
    comparables, from its history with each gap's first ``GAP_BRIDGE`` filled by the last value before it.

    A sensor read irregularly (NAB's road-traffic series: one reading every 10-50 minutes, a 15-minute
    bucket filled a third of the time) seldom has a value in the same slot on seven of fourteen days, so
    most of its buckets got no verdict (TravelTime_387: 5% of one window's buckets judged). A gauge
    changes little within half an hour, so its last reading is a fair comparable for the slot after it.
    Only buckets without enough comparables of their own take the bridged baseline (every other verdict
    is unchanged), and only the history is bridged: a bucket without a reading still gets no verdict.
    A longer bridge (an hour) copied one spike into four buckets, enough to become a weekday effect a week
    later (a false drop). The last value is from before the bucket, so verdicts stay causal."""
    limit = int(GAP_BRIDGE / (pd.Timedelta(days=1) / season.day))
    short = baseline.comparables < settings.min_history_buckets
    if limit < 1 or not np.any(np.isnan(values) & np.any(short, axis=-1, keepdims=True)):
        return baseline
    flat = values.reshape(-1, values.shape[-1])
    bridged = pd.DataFrame(flat.T).ffill(limit=limit).to_numpy().T.reshape(values.shape)
    other = seasonal_baseline(bridged, season, window=settings.baseline_window_buckets,
                              min_history=settings.min_history_buckets, multiplicative=False)
    use = short & (other.comparables >= settings.min_history_buckets)
    return Baseline(*(np.where(use, mine, theirs) for theirs, mine in (
        (baseline.expected, other.expected), (baseline.spread, other.spread),
        (baseline.comparables, other.comparables), (baseline.usual_range, other.usual_range))))


def _with_warm_up(values: np.ndarray, expected: np.ndarray, spread: Spread, seasonal: Baseline, warm: np.ndarray,
                  weekend: np.ndarray, settings: DetectorSettings, season: Seasonality, block: int,
                  ) -> tuple[np.ndarray, Spread]:
    """Expectations and spreads of the warm-up buckets (``warmup``) from the recent-buckets baseline, its
    spread calibrated on its own errors (not the seasonal model's: they differ in size, and the seasonal
    spread must not learn from the warm-up's smaller errors), held to the history's extremes."""
    shape = values.shape
    flat = values.reshape(-1, shape[-1])
    rows = np.flatnonzero(np.any(warm.reshape(flat.shape), axis=-1))
    length = int(np.flatnonzero(np.any(warm.reshape(flat.shape), axis=0))[-1]) + 1
    part = (rows[:, None], np.arange(length)[None, :])
    values_part = flat[part]
    usual = seasonal.usual_range.reshape(flat.shape)[part]
    recent = warmup.recent_baseline(values_part, weekend[:length], season, settings.kind == "count", usual)
    recent_spread = _calibrated_spread(values_part, recent.expected, recent, settings, block)
    if settings.kind == "count":
        recent_spread = _with_expectation_noise(recent_spread, recent, season, settings.baseline_window_buckets)
    use = warm.reshape(flat.shape)[part] & (recent.comparables >= season.day // 2)
    below, above = warmup.within_history(values_part, recent.expected, recent_spread.below, recent_spread.above,
                                         use, settings.sigma_threshold, season.day)
    out = [a.reshape(flat.shape).copy() for a in (expected, spread.below, spread.above, spread.bulk)]
    for array, warmed in zip(out, (recent.expected, below, above, recent_spread.bulk), strict=True):
        array[part] = np.where(use, warmed, array[part])
    expected, below, above, bulk = (a.reshape(shape) for a in out)
    return expected, Spread(below, above, bulk, spread.shared)


def _calibrated_spread(
    values: np.ndarray,
    expected: np.ndarray,
    baseline: Baseline,
    settings: DetectorSettings,
    block: int,
) -> Spread:
    """Spread from the model's own past errors, floored, widened for heavy tails (NaN values skipped).

    The spread of one slot's comparables is a noisy estimate (a MAD of 14 values); the model's own
    recent errors are many more, and they measure what a verdict is about: how far actual values land
    from the expectation, which also corrects for the recent level and the weekday. Gauge errors share
    one scale across the day; count errors are measured in units of the Poisson floor (√expected, or a
    few percent of it), so quiet and busy hours are each judged by their own noise.
    """
    if settings.kind == "count":
        reference = _floored_spread(baseline.expected, np.zeros(values.shape), baseline.usual_range, settings)
    else:
        reference = np.ones(values.shape)
    ratio = _error_ratio(values, expected, reference, block * settings.baseline_window_buckets)
    # Until enough errors are known, the comparables' spread stands in.
    bulk = np.where(np.isfinite(ratio), reference * ratio, baseline.spread)
    if settings.kind == "count":
        # Volumes keep the comparables' own day-to-day spread as one more floor: a rate that just moved
        # (a level shift) has a weekday estimate that lags, and must not be judged by calm-time errors.
        bulk = np.fmax(bulk, baseline.spread)
    spread = _floored_spread(baseline.expected, bulk, baseline.usual_range, settings)
    surprise = (values - expected) / spread
    blocks = settings.baseline_window_buckets
    above = _tail_inflation(np.where(surprise < 0, 0.0, surprise), block, blocks, settings.kind)
    below = _tail_inflation(np.where(surprise > 0, 0.0, -surprise), block, blocks, settings.kind)
    return Spread(spread * below, spread * above, spread)


def _with_expectation_noise(spread: Spread, baseline: Baseline, season: Seasonality, window: int) -> Spread:
    """Count spreads widened by the sampling noise of the expectation itself: spread² + var(expected).

    The expectation of a count is estimated from Poisson counts, so it is noisy too, and that noise is
    shared by every bucket judged against it (one weekday effect serves a slot for a week and ±1 h around
    it; the same comparables serve a slot for a day): a weekday effect learnt from two or three earlier
    weeks of ~60 events per bucket can put the expectation 5-15% low, and a Poisson tail then alerts.
    Poisson theory, for an expectation E (about E events in each bucket read):

    - centre: the median of n comparables, variance ≈ (π/2)·E/n;
    - weekday effect: per earlier week, one count over the median of six (relative variance
      ≈ (1 + π/12)/E), the median over 2h+1 neighbouring slots (× (π/2)/(2h+1)) and over k weeks
      (÷ k; the median of three or more is less efficient, ÷ 2k/π). k counts the weeks before the
      bucket, up to ``window``; before the first week no effect is applied, so it adds nothing.

    Gauges have no such law and are left alone. The calibrated spread is measured on past errors, which
    contain expectation errors on average, so this partly counts them twice: on the demo warehouse it
    widens busy count buckets' bands by about 7% (more in the first weeks), which is what takes the
    upward tail from the nominal rate of a 4-sigma test (~1 in 30,000 buckets: a flag on one demo in
    three) to about half of it.
    """
    variance = np.nan_to_num(np.clip(baseline.expected, 0.0, None) * _expectation_noise(baseline, season, window))
    return Spread(np.sqrt(spread.below**2 + variance), np.sqrt(spread.above**2 + variance),
                  np.sqrt(spread.bulk**2 + variance))


def _expectation_noise(baseline: Baseline, season: Seasonality, window: int, shared_only: bool = False
                       ) -> np.ndarray:
    """The variance of the expectation's own estimation error per unit of one bucket's noise variance
    (see ``_with_expectation_noise``): the centre's (π/2)/n plus the weekday effect's term; with
    ``shared_only`` the weekday effect's alone (each slot has its own centre, but one effect serves ±1 h)."""
    if season.week is None:
        weeks = np.zeros(baseline.expected.shape[-1])
    else:
        weeks = np.minimum(np.arange(baseline.expected.shape[-1]) // season.week, window).astype(float)
    slots = 2 * season.smooth + 1
    median_gain = np.where(weeks >= 3, weeks * 2 / np.pi, weeks)
    effect = np.where(weeks > 0, (1 + np.pi / 12) * (np.pi / 2) / slots / np.maximum(median_gain, 1.0), 0.0)
    centre = 0.0 if shared_only else (np.pi / 2) / np.maximum(baseline.comparables, 1)
    return np.asarray(centre + effect, dtype=float)


def _error_ratio(
    values: np.ndarray, expected: np.ndarray, reference: np.ndarray, span: int
) -> np.ndarray:
    """How large the model's errors over the ``span`` buckets before each bucket were, in units of
    the reference spread: median |error / reference| / 0.674 (1 when the reference is right and the
    noise normal)."""
    standardised = np.abs(values - expected) / reference
    return earlier(moving(standardised, span, max(2, span // 14), "median")) / _HALF_NORMAL_MEDIAN


def _floored_spread(
    expected: np.ndarray, bulk: np.ndarray, usual_range: np.ndarray, settings: DetectorSettings
) -> np.ndarray:
    if settings.kind == "count":
        # Poisson noise: a count of E varies by about sqrt(E) even when the series looks flat.
        positive = np.clip(expected, 0.0, None)
        floor = np.maximum(settings.relative_spread_floor * positive, np.sqrt(positive))
    else:
        floor = settings.relative_spread_floor * usual_range
    return np.fmax(np.fmax(bulk, floor), _SPREAD_EPSILON)


def _tail_inflation(surprise: np.ndarray, block: int, blocks: int, kind: SeriesKind) -> np.ndarray:
    """Widen one side of the spread of series whose everyday surprises on that side are heavier-tailed
    than their noise model, never narrow it.

    ``surprise`` holds the standardised residuals of one direction (the other direction as 0, NaN
    where unknown). Many real series have bursts that recur day after day, mostly in one direction
    (load and latency spike up, a sensor drops out, a campaign sends a burst of events).

    For each earlier block (a day, or a week of daily buckets) take its largest surprise; the
    ``_TAIL_QUANTILE`` of those over the last ``blocks`` blocks, over what one-sided normal noise would give
    for it, widens that side. Gauges with five or more earlier blocks take the third-largest of them
    instead (``silence.PLAUSIBLE_DAYS``, the silences' and sustained means' rule): the 0.8 quantile of a young
    series' days sits high among them (of five: between the second-largest and the largest; of ten: between
    the third- and second-largest), so one or two earlier dips of a road sensor or an agent's
    key rate made the next one "normal" (NAB, issue 19 session 16: 41 → 45 windows, 35 → 34 false
    positives; speed_7578, rogue_agent_key_updown, ec2_cpu 5f5533 and disk c0d644 gain a window each; over
    fourteen days the rank sits a little above the quantile). From three blocks on (rank 3 of 3 or 4 is the
    calmer days') it added 5 false positives.

    Counts: bounded at ``aggregates.MAX_TAIL_ALLOWANCE`` (2x), so recurring bursts
    never mask one more than twice as surprising (their law already carries most of their burstiness; the
    sums of sparse buckets get the robust 95th-percentile allowance of ``aggregates.tail_allowance``).

    Gauges: unbounded (bounding them at 2-4 cost NAB's gauges F1 0.42 → 0.37-0.39: their load and
    latency bursts are many sigmas high).

    Bursts more than twice as surprising that recur every few days (media mentions) are left to
    ``bursts``: a verdict on a rise needs it to be clearly larger than the series' usual bursts, an
    explicit bound one earlier incident cannot raise.
    """
    n = surprise.shape[-1]
    count = -(-n // block)
    padded = np.full((*surprise.shape[:-1], count * block), np.nan)
    padded[..., :n] = surprise
    per_day = padded.reshape(*surprise.shape[:-1], count, block)
    # The largest surprise of each block, NaN skipped (NaN only when the whole block is).
    per_block = np.fmax.reduce(per_day, axis=-1)
    typical = along_time(rolling(per_block, blocks, _MIN_TAIL_BLOCKS).quantile(_TAIL_QUANTILE).shift(1), per_block)
    if kind == "gauge":
        # An explicit rank: a surprise the series showed on three of its last days is its normal, two
        # earlier incidents are not (a quantile of a few days sat at their largest).
        window = lagged(per_block, np.arange(1, blocks + 1))
        known = np.sum(np.isfinite(window), axis=-1)
        ordered = np.sort(np.nan_to_num(window, nan=-np.inf), axis=-1)
        rank = min(silence.PLAUSIBLE_DAYS, blocks)
        typical = np.where(known >= max(rank, _GAUGE_RANK_FROM), ordered[..., -rank], typical)
    ratio = typical[..., np.arange(n) // block] / _normal_block_max(block, _TAIL_QUANTILE)
    bound = aggregates.MAX_TAIL_ALLOWANCE if kind == "count" else np.inf
    return np.where(np.isfinite(ratio), np.clip(ratio, 1.0, bound), 1.0)


def _normal_block_max(block: int, quantile: float) -> float:
    """The ``quantile`` of the largest of ``block`` independent one-sided standard normal surprises
    (max(z, 0) for normal z)."""
    return NormalDist().inv_cdf(quantile ** (1 / block))


@dataclass(frozen=True, slots=True)
class Spread:
    """The noise scale below and above the expectation (they differ for skewed series)."""

    below: np.ndarray
    above: np.ndarray
    bulk: np.ndarray
    """The spread before the per-side tail allowances: the everyday noise, for sums of buckets."""
    shared: np.ndarray | None = None
    """The variance of the expectation's own error that neighbouring buckets share (gauges: one centre and
    one weekday effect, for the means of ``sustained``; counts: the weekday effect, for the medians of
    ``shifts``); None where not needed."""


def _standardised(values: np.ndarray, expected: np.ndarray, spread: Spread) -> np.ndarray:
    """Residuals in units of the spread on their own side (NaN where either input is)."""
    return (values - expected) / np.where(values < expected, spread.below, spread.above)


def _band(
    expected: np.ndarray, spread: Spread, settings: DetectorSettings, looks: np.ndarray | int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The values a bucket may take without a verdict from its own count: for gauges sigma spreads
    either side; for counts the quantiles of the count law at the same (Bonferroni-corrected) tail."""
    if settings.kind == "count":
        lower = np.clip(expected - settings.sigma_threshold * spread.below, 0.0, None)
        upper = expected + settings.sigma_threshold * spread.above
        # Buckets judged over several looks (sparse ones) get the count law's quantiles instead.
        several = np.broadcast_to(np.asarray(looks), expected.shape) > 1
        if several.any():
            looks_there = np.broadcast_to(np.asarray(looks), expected.shape)[several].astype(float)
            sigma = -special.ndtri(special.ndtr(-settings.sigma_threshold) / looks_there)
            lower[several] = counts.band(expected[several], spread.below[several] ** 2, sigma)[0]
            upper[several] = counts.band(expected[several], spread.above[several] ** 2, sigma)[1]
        return lower, upper
    return expected - settings.sigma_threshold * spread.below, expected + settings.sigma_threshold * spread.above


def _looks_at(expected: np.ndarray, bulk: np.ndarray, settings: DetectorSettings, looks: int) -> np.ndarray:
    """How many looks judge each bucket: sums are for sparse buckets only, where a doubling of the
    bucket's own count can stay under the threshold: a doubling of E is E / spread spreads, and a count's
    spread may be up to ``aggregates.MAX_TAIL_ALLOWANCE`` × √E (its calibrated noise with the bounded tail
    allowance), so only above (2·sigma)² = 64 events a bucket at sigma 4 is it sure to show on its own.
    (With the edge at sigma² = 16, a 3-hour doubling at 10 events a bucket, 15-20 at its peak hour, was
    found in 61 of 100 synthetic series; docs/benchmarks.md, issue 19 session 14.) Busier buckets are
    judged alone: their own count is informative, and a sum over them mostly measures the expectation's
    shared error (a weekday effect a level shift has skewed, an hour the model misses).

    "Events a bucket" is the bucket's effective count E² / bulk² (``bulk``: its calibrated everyday spread,
    √E for Poisson noise): an overdispersed busy series (200 mentions a bucket, varying by 100) tells as
    little per bucket as 4 Poisson events do, so a drop to a quarter for hours shows only in its sums
    (bench/bursty_counts.py: drops found 55 → 70 of 98, 2 → 14 of 14 at 200 a bucket; low volume, demo and
    NAB's nyc_taxi unchanged). Poisson-like buckets keep their edge (the smaller of E and E² / bulk²)."""
    if settings.kind != "count":
        return np.ones(expected.shape, dtype=int)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective = np.nan_to_num(expected**2 / np.fmax(bulk, _SPREAD_EPSILON) ** 2, nan=np.inf)
    events = np.fmin(np.nan_to_num(expected, nan=np.inf), effective)
    sparse = events < (aggregates.MAX_TAIL_ALLOWANCE * settings.sigma_threshold) ** 2
    return np.where(sparse, looks, 1)


def _looks(interval: str, settings: DetectorSettings) -> tuple[int, ...]:
    """Bucket counts of the sums a count bucket is judged by (1: the bucket itself)."""
    return (1, *aggregates.scales(interval)) if settings.kind == "count" else (1,)


def _quiet_buckets(interval: str) -> int:
    step = interval_step(interval)
    return max(1, int(INCIDENT_QUIET / step))


def _onsets(out_of_band: np.ndarray, quiet: int) -> np.ndarray:
    """The first bucket of each incident: out of band, with no out-of-band bucket (of either
    direction) among the ``quiet`` buckets before it. Reads only earlier buckets, so appending data
    never changes an earlier onset."""
    seen = np.cumsum(out_of_band, axis=-1)
    before = np.concatenate([np.zeros((*seen.shape[:-1], 1), dtype=seen.dtype), seen[..., :-1]], axis=-1)
    # Out-of-band buckets among [t - quiet, t - 1]: running counts up to t - 1 minus up to t - quiet - 1.
    earlier = np.concatenate([np.zeros((*seen.shape[:-1], quiet + 1), dtype=seen.dtype), seen[..., :-quiet - 1]],
                             axis=-1)[..., : seen.shape[-1]]
    return out_of_band & ~((before - earlier) > 0)


def _score(
    values: np.ndarray,
    expected: np.ndarray,
    spread: Spread,
    settings: DetectorSettings,
    interval: str,
    early: np.ndarray,
) -> dict[str, np.ndarray]:
    verdict = np.isfinite(values) & np.isfinite(expected)
    expected = np.where(verdict, expected, np.nan)
    looks = _looks(interval, settings)
    lower, upper = _band(expected, spread, settings, _looks_at(expected, spread.bulk, settings, len(looks)))
    if settings.kind == "count":
        # Rises are measured from the early expectation too, so the usual bursts are known by the first verdict.
        excess = values - np.where(np.isfinite(expected), expected, early)
        z, out_of_band, silent = _count_z(values, expected, spread, settings, interval, looks, excess)
    else:
        z, out_of_band = _gauge_z(values, expected, spread, settings, interval)
        silent = np.zeros(values.shape, dtype=bool)
    z = np.where(verdict, z, np.nan)
    # An open silence continues through buckets without a verdict of their own (until data returns).
    out_of_band &= verdict | silent
    is_anomaly = _onsets(out_of_band, _quiet_buckets(interval))
    return {"value": values, "expected": expected, "lower": lower, "upper": upper, "z": z,
            "is_anomaly": is_anomaly, "is_silence": silent}


def _count_z(
    values: np.ndarray, expected: np.ndarray, spread: Spread, settings: DetectorSettings, interval: str,
    looks: tuple[int, ...], excess: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, out of band, silent) of count buckets.

    Each bucket is looked at through its own count and the sums ending at it, each judged by its
    negative binomial tail with a Bonferroni correction for the number of looks; z is the most extreme
    corrected one. A sum stays out of band for as long as it holds the incident's buckets, so it only
    marks a bucket out of band where it first crosses (the incident's own buckets keep it open). Every
    bucket is also judged by the median of the last day's residuals (``shifts``: lasting steps that the
    series' bursts would hide from the bucket and its sums), one more look for its correction. A
    zero is judged by whether it ends a silent run longer than the series' history makes plausible,
    never as a drop: that would pre-empt the silence, or alert on a silence that is ordinary.
    """
    below, above = spread.below**2, spread.above**2
    n_looks = _looks_at(expected, spread.bulk, settings, len(looks))
    # Busy buckets (see _looks_at) keep the z-score: there the count law is close to normal, and the
    # spread is mostly the model's own learnt error (per side), whose shape is no count law's.
    own = _standardised(values, expected, spread)
    several = n_looks > 1
    own[several] = counts.tail_z(values[several], expected[several],
                                 np.where(values < expected, below, above)[several])
    season = seasonality(interval)
    block = max(season.day, _MIN_BLOCK_BUCKETS)
    # Only series with a sparse bucket pay for their sums, only series with a zero for silences.
    rows = np.any(several, axis=-1)
    z = counts.corrected_z(own, n_looks)
    floor = expected >= settings.min_expected_count
    blocks = settings.baseline_window_buckets
    # A rise must also be clearly larger than the series' usual bursts (``bursts``).
    out = bursts.bound(floor & (np.abs(np.nan_to_num(z)) >= settings.sigma_threshold), z, excess, block, blocks)
    if rows.any():
        z[rows], out[rows] = _with_sums(values[rows], expected[rows], spread.bulk[rows] ** 2, n_looks[rows],
                                        z[rows], out[rows], floor[rows], settings, looks, block, excess[rows])
    # A lasting step: the median of the last day's residuals (in everyday spreads), one more look (``shifts``).
    span = shifts.width(season.day)
    bulk = np.fmax(spread.bulk, _SPREAD_EPSILON)
    with np.errstate(invalid="ignore", divide="ignore"):
        standardised = (values - expected) / bulk
        # The expectation's own error, shared by the day's buckets (weekday effects learnt from a week or two).
        shared = np.zeros(values.shape) if spread.shared is None else spread.shared / bulk**2
    shift = counts.corrected_z(shifts.median_z(standardised, shared, span, block, blocks), n_looks + 1)
    crossing = (np.abs(np.nan_to_num(shift)) >= settings.sigma_threshold) & floor & ~((values == 0) & (shift < 0))
    # Where it first crosses (an empty bucket is no drop of its own, as for sums), unless an incident was out
    # of band in the two days before: the expectation takes a day to forget an incident and the median holds
    # a day, so the return to normal after a drop read as a step up (a property test caught it at 3 a bucket).
    out |= _first_crossings(crossing, span) & ~_recently(out, 2 * span)
    z = counts.most_extreme([z, shift])
    # A zero is never a drop of its own (see above): only a silence.
    out &= ~((values == 0) & (z < 0))
    silent = np.zeros(values.shape, dtype=bool)
    silence_z = np.full(values.shape, np.nan)
    quiet = np.any(values == 0, axis=-1)
    if quiet.any():
        surprise = silence.silence_surprise(values[quiet], expected[quiet], below[quiet])
        found, silence_z[quiet] = silence.silent(surprise, settings.sigma_threshold, block,
                                                 settings.baseline_window_buckets)
        silent[quiet] = silence.until_data_returns(found & floor[quiet], values[quiet])
    return np.where(silent, np.fmin(z, silence_z), z), out | silent, silent


def _gauge_z(values: np.ndarray, expected: np.ndarray, spread: Spread, settings: DetectorSettings, interval: str,
             ) -> tuple[np.ndarray, np.ndarray]:
    """(z, out of band) of gauge buckets: the bucket's own standardised residual and the means of the last
    residuals (``sustained``), each corrected for the number of looks; z is the most extreme. Out of band
    where the bucket's own z is, or where a mean first crosses (while it holds the same buckets it stays
    out of band: one verdict per run)."""
    season = seasonality(interval)
    block = max(season.day, _MIN_BLOCK_BUCKETS)
    n_looks = sustained.looks()
    own = counts.corrected_z(_standardised(values, expected, spread), n_looks)
    residual = values - expected
    shared = np.zeros(values.shape) if spread.shared is None else spread.shared
    means = [counts.corrected_z(sustained.mean_z(residual, spread.below, spread.above, shared, width, block,
                                                 settings.baseline_window_buckets), n_looks)
             for width in sustained.WIDTHS]
    z = counts.most_extreme([own, *means])
    out = np.abs(np.nan_to_num(own)) >= settings.sigma_threshold
    # A bucket's excursion must also be clearly larger than the series' usual ones on its side (``bursts``:
    # load, latency and sensors burst both ways).
    blocks = settings.baseline_window_buckets
    out = bursts.bound(bursts.bound(out, own, residual, block, blocks), -own, -residual, block, blocks)
    for width, mean in zip(sustained.WIDTHS, means, strict=True):
        out |= _first_crossings(np.abs(np.nan_to_num(mean)) >= settings.sigma_threshold, width)
    return z, out


def _recently(out_of_band: np.ndarray, span: int) -> np.ndarray:
    """Whether any of the ``span`` buckets before each bucket was out of band (reads only earlier buckets)."""
    seen = np.cumsum(out_of_band, axis=-1)
    before = np.concatenate([np.zeros((*seen.shape[:-1], 1), dtype=seen.dtype), seen[..., :-1]], axis=-1)
    lagged_seen = np.concatenate([np.zeros((*seen.shape[:-1], span + 1), dtype=seen.dtype), seen], axis=-1)
    return (before - lagged_seen[..., : seen.shape[-1]]) > 0


def _first_crossings(crossing: np.ndarray, width: int) -> np.ndarray:
    """Crossings with no crossing among the ``width`` buckets before: a look over the last ``width``
    buckets holds the same buckets that long, so only its first crossing is new evidence."""
    seen = np.cumsum(crossing, axis=-1)
    lagged_seen = np.concatenate([np.zeros((*seen.shape[:-1], width + 1), dtype=seen.dtype), seen], axis=-1)
    recent = seen - crossing - lagged_seen[..., : seen.shape[-1]]
    return crossing & (recent == 0)


def _with_sums(values: np.ndarray, expected: np.ndarray, variance: np.ndarray, n_looks: np.ndarray,
               own: np.ndarray, own_out: np.ndarray, floor: np.ndarray, settings: DetectorSettings,
               looks: tuple[int, ...], block: int, excess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, out of band) of series judged over sums too: z is the most extreme corrected look; out of band
    where the bucket's own count is (``own_out``) or where a sum first crosses (a zero never as a drop)."""
    corrected = [counts.corrected_z(np.where(n_looks > 1, aggregates.sum_z(values, expected, variance, width, block,
                                                                         settings.baseline_window_buckets), np.nan),
                                    n_looks) for width in looks[1:]]
    z = counts.most_extreme([own, *corrected])
    judged = floor & ~((values == 0) & (z < 0))
    blocks = settings.baseline_window_buckets
    out = judged & own_out
    for width, summed in zip(looks[1:], corrected, strict=True):
        # Each sum's rise must also be clearly larger than the series' usual bursts of that sum (``bursts``).
        crossing = np.abs(np.nan_to_num(summed)) >= settings.sigma_threshold
        if np.any(crossing & (summed > 0)):
            crossing = bursts.bound(crossing, summed, aggregates.window_sum(excess, width), block, blocks)
        # The first crossing among judged buckets: at a few events a bucket a drop leaves most buckets empty,
        # and an empty bucket is no drop of its own, so a crossing first reached on one must not lose the
        # incident (bursty bench: drops found 70 -> 74 of 98; a test in tests/analysis/test_anomaly.py).
        out |= _first_crossings(crossing & judged, width)
    return z, out


def _directions(is_anomaly: np.ndarray, z: np.ndarray, is_silence: np.ndarray) -> np.ndarray:
    labels = np.where(is_silence, "silence", np.where(z > 0, "spike", "drop")).astype(object)
    return np.where(is_anomaly, labels, np.full(labels.shape, None, dtype=object))
