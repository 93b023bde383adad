"""Warm-up verdicts (SEMANTICS.md §4): the comparables of a series without a daily rhythm are its recent
buckets, so it has enough history after a couple of days instead of ``min_history_buckets`` days.

The seasonal baseline compares a bucket with the same slot of earlier days, so it needs a week of them
before it gives a verdict. That week is only needed when the slot matters: when a series has no daily
rhythm, yesterday's 10:00 says no more about today's 10:00 than the last hours do. Whether it has one
is judged on the history it has, causally, by comparing how far values move over a day with how far
they move over a quarter, a half and three quarters of a day (mean absolute differences):

- a daily rhythm makes the one-day difference the smallest (the same slot repeats), well below the others;
- noise around a level makes them all equal; a drifting level makes the one-day difference the largest.

So a series whose one-day difference is at least ``RHYTHM_RATIO`` of the off-day ones is rhythm-less; for
its buckets with too few seasonal comparables, the comparables are the ``day`` buckets before it: the
expectation is their median (sparse counts: their mean without the largest, plus half an event, as the
seasonal baseline does) and the spread their scaled median absolute deviation from it. Everything after
(calibrated spread, tail allowances, count laws) is the detector's usual machinery. A series with a rhythm
keeps "no verdict" until it has the seasonal history.

Warm-up buckets are also judged by the gauges' sustained look (``sustained``) once three days of its
3-hour means are known (from day 5 of a rhythm-less gauge, learnt on the warm-up expectation's own
residuals); before that only single buckets are judged.
"""

from __future__ import annotations

import numpy as np

from tripl_core.analysis.seasonal import (
    MAD_TO_SIGMA,
    SPARSE_COUNT,
    Baseline,
    Seasonality,
    earlier,
    moving,
)

# One-day mean absolute difference over the mean of the off-day ones: at or above this, no daily rhythm.
# Noise gives 1 (± a sampling error of ~7% on one day of 15-minute buckets); a rhythm that explains a
# fifth of the variance gives about 0.9 (absolute differences scale as the root of squared ones).
RHYTHM_RATIO = 0.9
# Days back the recent comparables reach (of the bucket's day type): a day's worth of buckets on weekdays,
# more after a weekend.
RECENT_DAYS = 3
# A difference counts at most this many times the typical one before it (see rhythm_ratio).
_DIFFERENCE_CLIP = 4.0
# Days of history the rhythm is judged on: at least one full day of one-day differences (so two days of
# data), at most a week (the seasonal baseline takes over by then).
_RHYTHM_MIN_DAYS = 1
_RHYTHM_MAX_DAYS = 7


def warm_up(values: np.ndarray, comparables: np.ndarray, season: Seasonality, min_history: int) -> np.ndarray:
    """Where the recent buckets stand in as comparables: fewer than ``min_history`` seasonal comparables,
    no daily rhythm in the history so far, and at least half a day of recent buckets known."""
    day = season.day
    none = np.zeros(values.shape, dtype=bool)
    if day < 4 or values.shape[-1] <= 2 * day:
        # Daily or coarser buckets: the seasonal comparables already are the recent buckets.
        return none
    early = comparables < min_history
    if not np.any(early):
        return none
    # Everything here is causal, so only the buckets up to the last early one need computing.
    length = int(np.flatnonzero(np.any(early, axis=tuple(range(early.ndim - 1))))[-1]) + 1
    none[..., :length] = early[..., :length] & (rhythm_ratio(values[..., :length], day) >= RHYTHM_RATIO)
    return none


def recent_baseline(values: np.ndarray, weekend: np.ndarray, season: Seasonality, multiplicative: bool,
                    usual_range: np.ndarray) -> Baseline:
    """The baseline whose comparables are the recent buckets of the same day type (weekday or weekend, UTC;
    the last ``RECENT_DAYS`` days' worth): their median (sparse counts: their mean without the largest,
    plus half an event, as the seasonal baseline does) and their scaled median absolute deviation from it.
    A week's rhythm cannot be judged before a week has passed, so a first weekend is not compared with
    the weekdays before it (no comparables: no verdict until half a day of it is known), nor a Monday with
    the weekend. ``usual_range`` is the seasonal baseline's, which reads the same history."""
    day = season.day
    span = RECENT_DAYS * day
    least = day // 2
    out = {name: np.full(values.shape, np.nan) for name in ("count", "median", "sum", "max", "deviation")}
    for day_type in (False, True):
        same = weekend == day_type
        masked = np.where(same, values, np.nan)
        out["count"] = np.where(same, earlier(moving(np.isfinite(masked).astype(float), span, 1, "sum")), out["count"])
        out["median"] = np.where(same, earlier(moving(masked, span, least, "median")), out["median"])
        if multiplicative:
            out["sum"] = np.where(same, earlier(moving(masked, span, least, "sum")), out["sum"])
            out["max"] = np.where(same, earlier(moving(masked, span, least, "max")), out["max"])
    centre = out["median"]
    if multiplicative:
        # Sparse counts: the median of 0s and 1s is no centre (see seasonal_baseline).
        trimmed = (out["sum"] - out["max"] + 0.5) / np.maximum(out["count"] - 1, 1)
        centre = np.where(centre < SPARSE_COUNT, np.fmax(centre, trimmed), centre)
    deviation = np.abs(values - centre)
    spread = np.full(values.shape, np.nan)
    for day_type in (False, True):
        same = weekend == day_type
        spread = np.where(same, earlier(moving(np.where(same, deviation, np.nan), span, least, "median")), spread)
    return Baseline(centre, MAD_TO_SIGMA * spread, np.nan_to_num(out["count"]).astype(int), usual_range)


def within_history(values: np.ndarray, expected: np.ndarray, below: np.ndarray, above: np.ndarray,
                   warm: np.ndarray, sigma: float, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Warm-up spreads widened per side so the band holds every value of the history before the bucket
    (up to a week): with a day or two of history the series' tail allowance is not learnt yet, and a value
    the series has already taken is no verdict. Beyond the history's extremes the usual test applies."""
    if not np.any(warm):
        return below, above
    span = _RHYTHM_MAX_DAYS * day
    highest = earlier(moving(values, span, 1, "max"))
    lowest = -earlier(moving(-values, span, 1, "max"))
    return (np.where(warm, np.fmax(below, (expected - lowest) / sigma), below),
            np.where(warm, np.fmax(above, (highest - expected) / sigma), above))


def rhythm_ratio(values: np.ndarray, day: int) -> np.ndarray:
    """Per bucket, from the buckets before it: the mean absolute one-day difference over the mean of the
    quarter-, half- and three-quarter-day ones (NaN until a day of one-day differences is known; inf for
    a series that never moved, which has no rhythm either). Each difference is clipped at
    ``_DIFFERENCE_CLIP`` times the typical one before it, so one spike, which enters the off-day means
    up to a day before the one-day mean, does not pass for a rhythm."""
    span = _RHYTHM_MAX_DAYS * day
    least = _RHYTHM_MIN_DAYS * day

    def mean_difference(lag: int) -> np.ndarray:
        diff = np.full(values.shape, np.nan)
        diff[..., lag:] = np.abs(values[..., lag:] - values[..., :-lag])
        seen = moving(np.isfinite(diff).astype(float), span, least, "sum")
        with np.errstate(divide="ignore", invalid="ignore"):
            typical = earlier(moving(diff, span, least, "sum") / seen)
        clipped = np.fmin(diff, _DIFFERENCE_CLIP * typical)
        with np.errstate(divide="ignore", invalid="ignore"):
            return earlier(moving(clipped, span, least, "sum") / seen)

    one_day = mean_difference(day)
    off_day = (mean_difference(day // 4) + mean_difference(day // 2) + mean_difference(3 * day // 4)) / 3
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = one_day / off_day
    return np.where((off_day == 0) & (one_day == 0), np.inf, ratio)
