"""Causal, like-for-like seasonal baselines on a regular bucket grid.

Every quantity computed for bucket ``t`` reads only buckets strictly before ``t``, so a point is never
part of its own baseline and appending data never changes an earlier result. Buckets are addressed by
position on an epoch-anchored grid, so "the same slot of day" is simply ``t - k * day``.

Arrays are ``(..., T)``: time on the last axis, so one call scores many series of one grid at once
(``(S, T)``) with the same arithmetic, element for element, as one series (``(T,)``).

The baseline of bucket ``t`` (multiplicative form; the additive form swaps ratios for differences):

1. comparables: the same slot on each of the previous ``window`` days (for daily data: the previous
   days; for weekly data: the previous weeks);
2. weekday effect: each comparable is rescaled by how its weekday compared with the neighbouring days of
   its week, so Saturdays are not judged by Tuesdays (same slot of week *and* same slot of day); a
   count is held to the most its slot reached on those neighbouring days first, so one burst in the
   week an effect is learnt from does not become a weekday effect;
3. centre and spread: median and scaled MAD of the rescaled comparables (robust to past incidents);
4. level: the median ratio of actual to centre over the most recent buckets, so trends and lasting level
   shifts are followed within about a day instead of the half-window lag of a plain median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import bottleneck as bn
import numpy as np
import pandas as pd

INTERVALS: dict[str, pd.Timedelta] = {
    "15m": pd.Timedelta(minutes=15),
    "1h": pd.Timedelta(hours=1),
    "6h": pd.Timedelta(hours=6),
    "1d": pd.Timedelta(days=1),
    "1w": pd.Timedelta(weeks=1),
}
# Weeks are anchored on the first Monday after the epoch (SEMANTICS.md §3).
WEEK_ANCHOR = pd.Timestamp("1970-01-05", tz="UTC")
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
# Scale factor that makes the MAD a consistent estimator of the standard deviation for normal noise.
MAD_TO_SIGMA = 1.4826
# Counts with fewer events a bucket than this are sparse: their recent level is a ratio of sums, not a
# median of ratios (the detector judges buckets below (2·sigma)² = 64 over sums of buckets too).
SPARSE_COUNT = 16.0
# Days either side of a comparable's weekday used to measure how that weekday differs from its week.
WEEK_NEIGHBOUR_DAYS = (-3, -2, -1, 1, 2, 3)
# Weekday effects are smoothed over the slots within this time either side (see _centred_median). An
# hour, not more: the weekday/weekend difference changes sign within a few hours around rush hours
# (a weekend 7 am is far quieter than a weekday one, a weekend 1 am busier), and a wider median
# smeared that into false alerts every weekend morning.
WEEKDAY_SMOOTHING = pd.Timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Seasonality:
    """Bucket offsets of the seasonal cycles of one interval."""

    day: int
    """Buckets between the same slot of consecutive days (1 for daily and weekly intervals)."""
    week: int | None
    """Buckets per week, or None when the interval is a week (no weekday effect to model)."""
    smooth: int
    """Half-width in buckets of the smoothing used when estimating weekday effects."""


def interval_step(interval: str) -> pd.Timedelta:
    """The bucket length of ``interval``; ValueError for anything but 15m/1h/6h/1d/1w."""
    try:
        return INTERVALS[interval]
    except KeyError:
        allowed = ", ".join(INTERVALS)
        raise ValueError(f"unknown interval {interval!r}; expected one of {allowed}") from None


def seasonality(interval: str) -> Seasonality:
    step = interval_step(interval)
    if step >= INTERVALS["1w"]:
        return Seasonality(day=1, week=None, smooth=0)
    day = max(1, int(INTERVALS["1d"] / step))
    smooth = int(WEEKDAY_SMOOTHING / step) if step < INTERVALS["6h"] else 0
    return Seasonality(day=day, week=int(INTERVALS["1w"] / step), smooth=smooth)


def bucket_floor(index: pd.DatetimeIndex, interval: str) -> pd.DatetimeIndex:
    """Floor UTC timestamps to their epoch-anchored bucket (weeks start on Monday)."""
    step = interval_step(interval)
    anchor = WEEK_ANCHOR if interval == "1w" else EPOCH
    offsets = (index - anchor) // step
    return pd.DatetimeIndex(anchor + offsets * step)


def lagged(values: np.ndarray, lags: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """``(..., T, L)``: entry ``[..., t, k]`` holds ``values[..., t - lags[k]]`` (``fill`` outside the series)."""
    n = values.shape[-1]
    lags = np.asarray(lags)
    out = np.full((*values.shape, len(lags)), fill)
    for k, lag in enumerate(lags.tolist()):
        if lag >= 0 and lag < n:
            out[..., lag:, k] = values[..., : n - lag]
        elif lag < 0 and -lag < n:
            out[..., : n + lag, k] = values[..., -lag:]
    return out


def row_nanmedian(matrix: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN when empty), without numpy's all-NaN warnings."""
    if matrix.shape[-1] == 0:
        return np.full(matrix.shape[:-1], np.nan)
    ordered = np.sort(matrix, axis=-1)  # NaN sorts last
    valid = np.sum(~np.isnan(matrix), axis=-1)
    low = np.maximum((valid - 1) // 2, 0)[..., None]
    high = np.minimum(valid // 2, matrix.shape[-1] - 1)[..., None]
    median = 0.5 * (np.take_along_axis(ordered, low, -1)[..., 0] + np.take_along_axis(ordered, high, -1)[..., 0])
    return np.where(valid == 0, np.nan, median)


def shifted(values: np.ndarray, lags: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """``(L, ..., T)``: entry ``[k, ..., t]`` holds ``values[..., t - lags[k]]`` (``fill`` outside the series).

    ``lagged`` with the lags first: each lag is one contiguous ``(..., T)`` array, so statistics across
    lags (``stack_nanmedian``, sums, maxima) are element-wise operations over whole series at once."""
    n = values.shape[-1]
    out = np.full((len(lags), *values.shape), fill)
    for k, lag in enumerate(np.asarray(lags).tolist()):
        if 0 <= lag < n:
            out[k, ..., lag:] = values[..., : n - lag]
        elif lag < 0 and -lag < n:
            out[k, ..., : n + lag] = values[..., -lag:]
    return out


def _sorting_network(size: int) -> tuple[tuple[int, int], ...]:
    """Batcher's odd-even merge sort comparators for ``size`` inputs (pairs ``(low, high)``): the network
    for the next power of two, without the comparators that touch a position ≥ ``size`` (those would
    only compare with +inf padding, which never moves)."""
    width = 1 << max(0, (size - 1).bit_length())
    pairs = []
    p = 1
    while p < width:
        k = p
        while k >= 1:
            for j in range(k % p, width - k, 2 * k):
                for i in range(min(k, width - j - k)):
                    low, high = i + j, i + j + k
                    if low // (2 * p) == high // (2 * p) and high < size:
                        pairs.append((low, high))
            k //= 2
        p *= 2
    return tuple(pairs)


# Stacks deeper than this are sorted by numpy instead (a network's comparators grow as n·log²n).
_NETWORK_MAX = 16


def stack_nanmedian(stack: np.ndarray) -> np.ndarray:
    """Median over the first axis ignoring NaN (NaN when empty): ``row_nanmedian`` of a ``shifted`` stack.

    A few to a dozen values per bucket for every bucket of every series: numpy would sort millions of
    tiny rows one by one; a sorting network sorts them all at once, a comparator being one element-wise
    min and max over whole arrays. NaN sorts last as +inf; the median then reads the middle of each
    bucket's valid values, exactly as ``row_nanmedian`` does."""
    size = stack.shape[0]
    if size == 0:
        return np.full(stack.shape[1:], np.nan)
    if size > _NETWORK_MAX:
        return row_nanmedian(np.moveaxis(stack, 0, -1))
    missing = np.isnan(stack)
    valid = size - np.count_nonzero(missing, axis=0)
    rows = list(np.where(missing, np.inf, stack))
    scratch = np.empty(stack.shape[1:])
    for low, high in _sorting_network(size):
        np.minimum(rows[low], rows[high], out=scratch)
        np.maximum(rows[low], rows[high], out=rows[high])
        rows[low], scratch = scratch, rows[low]
    # Each bucket's middle values: ranks (valid - 1) // 2 and valid // 2 of its sorted values.
    low_rank = np.maximum((valid - 1) // 2, 0)
    high_rank = np.minimum(valid // 2, size - 1)
    low_value, high_value = np.empty(valid.shape), np.empty(valid.shape)
    for rank in range((size + 1) // 2):
        np.copyto(low_value, rows[rank], where=low_rank == rank)
    for rank in range(size // 2 + 1):
        np.copyto(high_value, rows[rank], where=high_rank == rank)
    median = 0.5 * (low_value + high_value)
    return np.where(valid == 0, np.nan, median)


def moving(values: np.ndarray, window: int, min_periods: int, statistic: Literal["median", "sum", "max"],
           center: bool = False) -> np.ndarray:
    """The ``statistic`` of the ``window`` buckets ending at each bucket (centred on it with ``center``)
    along the time axis of ``(..., T)`` values, NaN skipped, NaN where fewer than ``min_periods`` values
    are known: pandas' rolling semantics, computed by bottleneck over every series at once (a double
    heap for medians: pandas' skiplist median was a third of ``detect_many``'s time)."""
    length = values.shape[-1]
    values = np.asarray(values, dtype=float)
    if center:
        # A centred window is the trailing window ending ``(window - 1) // 2`` later (pandas' placement of
        # even windows), the series' end padded.
        half = (window - 1) // 2
        padded = np.concatenate([values, np.full((*values.shape[:-1], half), np.nan)], axis=-1)
        return moving(padded, window, min_periods, statistic)[..., half:]
    width = min(window, length)
    min_periods = max(1, min_periods)
    if width == 0 or min_periods > width:
        return np.full(values.shape, np.nan)
    function = {"median": bn.move_median, "sum": bn.move_sum, "max": bn.move_max}[statistic]
    return np.asarray(function(values, width, min_count=min_periods, axis=-1), dtype=float)


def earlier(values: np.ndarray, by: int = 1) -> np.ndarray:
    """Each bucket's value ``by`` buckets earlier (NaN before the series): what was known before it."""
    out = np.full(values.shape, np.nan)
    if by < values.shape[-1]:
        out[..., by:] = values[..., : values.shape[-1] - by]
    return out


def rolling(values: np.ndarray, window: int, min_periods: int, center: bool = False) -> pd.api.typing.Rolling:
    """pandas' rolling window along the time axis of ``(T,)`` or ``(S, T)`` values; turn results back
    with ``along_time``.

    The series are laid end to end in one long column, each behind ``window`` NaN buckets, so pandas
    rolls them all in one call (a DataFrame is rolled column by column, and that per-column overhead
    was a quarter of ``detect_many``'s time). NaN is skipped by every rolling statistic, so a window
    reaching into the padding sees exactly the truncated window it would see in its own column, and
    never a neighbour's bucket: windows (centred ones included) are at most ``window`` wide. Use only
    ``min_periods`` ≥ 1, so an all-padding window is NaN (it then shifts in as the first bucket's NaN).
    """
    rows = np.atleast_2d(values).reshape(-1, values.shape[-1])
    padded = np.full((rows.shape[0], window + rows.shape[1]), np.nan)
    padded[:, window:] = rows
    return pd.Series(padded.ravel()).rolling(window, min_periods=max(1, min_periods), center=center)


def along_time(result: pd.Series, like: np.ndarray) -> np.ndarray:
    """A result of ``rolling`` (or of a shift/fill of it) back in the shape of ``like``, padding dropped."""
    flat = result.to_numpy(dtype=float)
    series = max(1, int(np.prod(like.shape[:-1])))
    length = like.shape[-1]
    return flat.reshape(series, -1)[:, -length:].reshape(like.shape) if length else flat[:0].reshape(like.shape)


def _relative(numerator: np.ndarray, denominator: np.ndarray, multiplicative: bool) -> np.ndarray:
    if not multiplicative:
        return numerator - denominator
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def weekday_effect(
    values: np.ndarray, season: Seasonality, weeks: int, multiplicative: bool
) -> np.ndarray:
    """How each bucket's weekday differs from the rest of its week, learnt from earlier weeks only.

    For bucket ``t`` and each earlier week ``j``, compare the bucket one week back with the same slot
    on the three days either side of it; the median over weeks is the effect (a ratio, or a difference
    in additive form). NaN where no earlier week exists. The latest day read is ``t - week + 3 days``,
    always before ``t``.
    """
    n = values.shape[-1]
    if season.week is None or n <= season.week:
        return np.full(values.shape, np.nan)
    # The effects of the `smooth` buckets after the last one are known already (each reads data from four
    # days back and earlier): computing them too gives the newest buckets the same two-sided smoothing as
    # every other bucket, so appending a bucket never changes an earlier result.
    values = np.concatenate([values, np.full((*values.shape[:-1], season.smooth), np.nan)], axis=-1)
    # Week j's ratio for bucket t is the ratio of the bucket u = t - j·week to its neighbours, so the
    # ratio is computed once per bucket and the effect is its median over the same slot of the
    # previous ``weeks`` weeks.
    neighbours = -np.array([d * season.day for d in WEEK_NEIGHBOUR_DAYS])
    stack = shifted(values, neighbours)
    around = stack_nanmedian(stack)
    ratio = _relative(_within_neighbours(values, stack, multiplicative), around, multiplicative)
    sparse = ~(around >= SPARSE_COUNT)
    rows = np.any(sparse, axis=-1)
    if multiplicative and season.smooth > 0 and np.any(rows):
        # Sparse counts are compared as sums over the smoothing span: one sparse slot is mostly 0, and
        # ratios of zeros say nothing (a median of them would put a whole weekday at 0). Only series
        # with a sparse bucket pay for it.
        width = 2 * season.smooth + 1
        summed = moving(values[rows], width, 1, "sum", center=True)
        summed_stack = shifted(summed, neighbours)
        summed_ratio = _relative(_within_neighbours(summed, summed_stack, True), stack_nanmedian(summed_stack), True)
        ratio[rows] = np.where(sparse[rows], summed_ratio, ratio[rows])
    effect = _by_slot(ratio, season.week, weeks, "median")
    return _centred_median(effect, season.smooth)[..., :n]


def _within_neighbours(values: np.ndarray, neighbours: np.ndarray, multiplicative: bool) -> np.ndarray:
    """Counts: each value held to at most the largest of its slot's values on the six neighbouring days
    (``neighbours``, stacked first), before its weekday ratio is taken.

    A weekday effect is learnt from one week's ratio at first (the median of two, then of three weeks),
    so one burst of a bursty count in that week's slot became a weekday effect of 2-3.6 for the slot ±1 h,
    and the same hour a week later looked like a drop (bench/bursty_counts.py: about two thirds of its
    non-burst false positives, in the hours' and days' sums). A weekday busier than all six days around
    it in that slot is not a weekday effect one week can teach. Only upwards: holding a value to the
    neighbours' smallest too (an outage a week ago) added 4 false positives on NAB's nyc_taxi (its
    holidays). Gauges (additive) are left alone."""
    if not multiplicative:
        return values
    return np.fmin(values, np.fmax.reduce(neighbours, axis=0))


def _centred_median(effect: np.ndarray, half_width: int) -> np.ndarray:
    # One slot of one earlier week is a noisy estimate, and that noise would be shared by every
    # comparable; weekday effects are broad, so take the median over neighbouring slots (a median:
    # one spiky slot must not move it, and a weekday/weekend step at midnight stays sharp). The
    # slots read are at most ``half_width`` after the bucket, whose effect itself only reads data
    # from four days back, so nothing reaches the scored bucket.
    if half_width == 0:
        return effect
    window = 2 * half_width + 1
    rolled = moving(effect, window, 1, "median", center=True)
    return np.where(np.isnan(effect), np.nan, rolled)


@dataclass(frozen=True, slots=True)
class Baseline:
    """Per-bucket expectation from strictly earlier buckets; NaN where nothing is comparable."""

    expected: np.ndarray
    spread: np.ndarray
    comparables: np.ndarray
    """How many earlier comparable buckets held a value."""
    usual_range: np.ndarray
    """Width of the band the series kept to over the baseline span (1st to 99th percentile); NaN in the
    multiplicative (count) form, which does not use it."""


def seasonal_baseline(
    values: np.ndarray, season: Seasonality, window: int, min_history: int, multiplicative: bool
) -> Baseline:
    """Expected value and robust spread of every bucket from the like-for-like buckets before it.

    The comparables of bucket ``t`` are ``values[t - k·day]`` rescaled from their weekday to ``t``'s:
    ``target(t) × w(t - k·day)`` with ``w = value / effect`` (``value - effect`` additively), so their
    median, sum and maximum are ``target(t)`` times a moving statistic of ``w`` over the same slot of the
    previous ``window`` days — one pass per series instead of a sort per bucket. Only the MAD, whose
    centre moves with ``t``, reads the stack of comparables. Series with a weekday effect of 0 somewhere
    (a weekday without volume: its factors are not a rescaling) take the stack for everything."""
    lags = np.arange(1, window + 1) * season.day
    comparables = np.nan_to_num(_by_slot(np.where(np.isnan(values), 0.0, 1.0), season.day, window, "sum")).astype(int)
    effect = weekday_effect(values, season, window, multiplicative)
    neutral = 1.0 if multiplicative else 0.0
    target = np.where(np.isnan(effect), neutral, effect)
    if multiplicative:
        w = np.full(values.shape, np.nan)
        np.divide(values, target, out=w, where=target > 0)
        middle = _by_slot(w, season.day, window, "median")
        centre = target * middle
        spread = MAD_TO_SIGMA * target * stack_nanmedian(np.abs(shifted(w, lags) - middle[None]))
        # The median of sparse counts is discrete (0 or 1 at half an event a bucket), and a centre of 0
        # would make a single event impossible: sparse counts are centred on their trimmed mean, the
        # comparables' mean without the largest one (one earlier incident in the slot does not lift
        # it) plus half an event (a Jeffreys prior).
        total = target * (_by_slot(w, season.day, window, "sum") - _by_slot(w, season.day, window, "max"))
        stacked = np.any(target <= 0, axis=-1)
        if np.any(stacked):
            centre[stacked], spread[stacked], total[stacked] = _stacked_centre(values[stacked], effect[stacked],
                                                                               lags)
        trimmed = (np.nan_to_num(total) + 0.5) / np.maximum(comparables, 1)
        centre = np.where((centre < SPARSE_COUNT) & (comparables > 1), np.fmax(centre, trimmed), centre)
    else:
        w = values - target
        middle = _by_slot(w, season.day, window, "median")
        centre = target + middle
        spread = MAD_TO_SIGMA * stack_nanmedian(np.abs(shifted(w, lags) - middle[None]))
    # Until a weekday effect is known, the centre mixes weekdays, so residuals against it would turn a
    # weekend into a false level change; only residuals from calibrated buckets set the level.
    calibrated = centre if season.week is None else np.where(np.isnan(effect), np.nan, centre)
    level = _recent_level(values, calibrated, max(season.day, min_history), multiplicative)
    # The usual range floors gauge spreads only; counts skip its (costly) rolling quantiles.
    usual = np.full(values.shape, np.nan) if multiplicative else _usual_range(values, window * season.day)
    if multiplicative:
        return Baseline(centre * level, spread * level, comparables, usual)
    return Baseline(centre + level, spread, comparables, usual)


def _by_slot(values: np.ndarray, day: int, window: int, statistic: Literal["median", "sum", "max"]) -> np.ndarray:
    """The ``statistic`` of ``values`` at the same slot of the ``window`` days before each bucket (NaN
    skipped; NaN when none is known): a moving statistic along the days of each slot."""
    length = values.shape[-1]
    days = -(-length // day)
    padded = np.full((*values.shape[:-1], days * day), np.nan)
    padded[..., :length] = values
    by_slot = np.swapaxes(padded.reshape(*values.shape[:-1], days, day), -1, -2)
    rolled = earlier(moving(by_slot, window, 1, statistic))
    return np.swapaxes(rolled, -1, -2).reshape(*values.shape[:-1], days * day)[..., :length]


def _stacked_centre(values: np.ndarray, effect: np.ndarray, lags: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre, spread, sum without the largest) of counts from the stack of their rescaled comparables."""
    adjusted = _apply_weekday(shifted(values, lags), effect, lags, True)
    centre = stack_nanmedian(adjusted)
    spread = MAD_TO_SIGMA * stack_nanmedian(np.abs(adjusted - centre[None]))
    return centre, spread, np.nansum(adjusted, axis=0) - np.fmax.reduce(adjusted, axis=0)


def _usual_range(values: np.ndarray, span: int) -> np.ndarray:
    # The 1% tails are left out so that one short incident does not widen the band for weeks.
    history = rolling(values, span, 1)
    width = history.quantile(0.99) - history.quantile(0.01)
    return along_time(width.shift(1), values)


def _apply_weekday(
    raw: np.ndarray, effect: np.ndarray, lags: np.ndarray, multiplicative: bool
) -> np.ndarray:
    # Unknown effects (the first week) count as neutral: no correction rather than no verdict.
    neutral = 1.0 if multiplicative else 0.0
    target = np.where(np.isnan(effect), neutral, effect)[None]
    source = shifted(effect, lags, fill=neutral)
    np.copyto(source, neutral, where=np.isnan(source))
    if not multiplicative:
        return raw + target - source
    factor = np.full(raw.shape, np.nan)
    np.divide(np.broadcast_to(target, source.shape), source, out=factor, where=source > 0)
    # A weekday with no volume at all stays comparable with another such weekday.
    factor[(source <= 0) & (target <= 0)] = 1.0
    return raw * factor


def _recent_level(
    values: np.ndarray, centre: np.ndarray, span: int, multiplicative: bool
) -> np.ndarray:
    """Median of actual vs centre over the ``span`` buckets before each bucket (neutral if unknown).

    Sparse counts (a centre below ``SPARSE_COUNT`` events a bucket on average) use a ratio of sums
    instead: most of their ratios are 0, so their median would say the series stopped. The largest
    actual is left out of the sum (one burst does not lift the level) and half an event is added to
    both sides, which pulls an empty span towards "as usual" rather than towards zero.
    """
    residual = _relative(values, centre, multiplicative)
    rolled = earlier(moving(residual, span, max(1, span // 2), "median"))
    neutral = 1.0 if multiplicative else 0.0
    level = np.where(np.isnan(rolled), neutral, rolled)
    if not multiplicative:
        return level
    known = np.isfinite(centre) & np.isfinite(values)
    actual = np.where(known, values, np.nan)
    expected = np.where(known, centre, np.nan)
    min_periods = max(1, span // 2)
    actual_sum = earlier(moving(actual, span, min_periods, "sum"))
    actual_max = earlier(moving(actual, span, min_periods, "max"))
    expected_sum = earlier(moving(expected, span, min_periods, "sum"))
    seen = earlier(moving(known.astype(float), span, 1, "sum"))
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = (actual_sum - actual_max + 0.5) / (expected_sum * (seen - 1) / seen + 0.5)
        sparse = expected_sum / seen < SPARSE_COUNT
    return np.where(sparse & np.isfinite(sums) & (seen > 1), sums, level)
