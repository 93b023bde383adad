"""Warm-up verdicts (SEMANTICS.md §4): the comparables of a series without a daily rhythm are its recent
buckets, so it has enough history after a couple of days instead of ``min_history_buckets`` days.

The seasonal baseline compares a bucket with the same slot of earlier days, so it needs a week of them
before it gives a verdict. That week is only needed when the slot matters: when a series has no daily
rhythm, yesterday's 10:00 says no more about today's 10:00 than the last hours do. Whether it has one
is judged on the history it has, causally, by comparing how far values move over a day with how far
they move over a quarter, a half and three quarters of a day (mean squared differences):

- a daily rhythm makes the one-day difference the smallest (the same slot repeats), well below the others;
- noise around a level makes them all equal; a drifting level makes the one-day difference the largest.

So a series whose one-day difference is at least ``RHYTHM_RATIO`` of the off-day ones is rhythm-less; for
its buckets with too few seasonal comparables, the comparables are the ``day`` buckets before it: the
expectation is their median (sparse counts: their mean without the largest, plus half an event, as the
seasonal baseline does) and the spread their scaled median absolute deviation from it. Everything after
(calibrated spread, tail allowances, count laws) is the detector's usual machinery. A series with a rhythm
keeps "no verdict" until it has the seasonal history.
"""

from __future__ import annotations

import numpy as np

from tripl_core.analysis.seasonal import MAD_TO_SIGMA, SPARSE_COUNT, Baseline, Seasonality, earlier, moving

# One-day mean squared difference over the mean of the off-day ones: at or above this, no daily rhythm.
# Noise gives 1 (± a sampling error of ~15% on one day of 15-minute buckets); a rhythm that explains a
# quarter of the variance gives about 0.8; 0.9 keeps the rhythmic series on the seasonal baseline.
RHYTHM_RATIO = 0.9
# Days of history the rhythm is judged on: at least one full day of one-day differences (so two days of
# data), at most a week (the seasonal baseline takes over by then).
_RHYTHM_MIN_DAYS = 1
_RHYTHM_MAX_DAYS = 7


def with_recent_comparables(values: np.ndarray, baseline: Baseline, season: Seasonality, min_history: int,
                            multiplicative: bool) -> tuple[Baseline, np.ndarray]:
    """``baseline`` with warm-up expectations where the seasonal comparables are fewer than ``min_history``
    and the series shows no daily rhythm so far (``comparables`` there counts the recent buckets used),
    and where that is (the warm-up buckets)."""
    day = season.day
    none = np.zeros(values.shape, dtype=bool)
    if day < 4 or values.shape[-1] <= 2 * day:
        # Daily or coarser buckets: the seasonal comparables already are the recent buckets.
        return baseline, none
    early = baseline.comparables < min_history
    if not np.any(early):
        return baseline, none
    # Everything here is causal, so only the buckets up to the last early one need computing.
    length = int(np.flatnonzero(np.any(early, axis=tuple(range(early.ndim - 1))))[-1]) + 1
    values, early = values[..., :length], early[..., :length]
    use = early & (rhythm_ratio(values, day) >= RHYTHM_RATIO)
    if not np.any(use):
        return baseline, none
    known = np.isfinite(values).astype(float)
    recent = earlier(moving(known, day, 1, "sum"))
    enough = np.nan_to_num(recent) >= day // 2
    use &= enough
    centre = earlier(moving(values, day, day // 2, "median"))
    if multiplicative:
        # Sparse counts: the median of 0s and 1s is no centre (see seasonal_baseline).
        total = earlier(moving(values, day, day // 2, "sum")) - earlier(moving(values, day, day // 2, "max"))
        trimmed = (total + 0.5) / np.maximum(recent - 1, 1)
        centre = np.where(centre < SPARSE_COUNT, np.fmax(centre, trimmed), centre)
    deviation = np.abs(values - centre)
    spread = MAD_TO_SIGMA * earlier(moving(deviation, day, day // 2, "median"))
    expected, spreads, comparables = baseline.expected.copy(), baseline.spread.copy(), baseline.comparables.copy()
    head = (..., slice(0, length))
    expected[head] = np.where(use, centre, expected[head])
    spreads[head] = np.where(use, spread, spreads[head])
    comparables[head] = np.where(use, np.nan_to_num(recent).astype(int), comparables[head])
    warm = none.copy()
    warm[head] = use
    return Baseline(expected, spreads, comparables, baseline.usual_range), warm


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
    """Per bucket, from the buckets before it: the mean squared one-day difference over the mean of the
    quarter-, half- and three-quarter-day ones (NaN until a day of one-day differences is known; inf for
    a series that never moved, which has no rhythm either)."""
    span = _RHYTHM_MAX_DAYS * day
    least = _RHYTHM_MIN_DAYS * day

    def msd(lag: int) -> np.ndarray:
        diff = np.full(values.shape, np.nan)
        diff[..., lag:] = (values[..., lag:] - values[..., :-lag]) ** 2
        total = moving(diff, span, least, "sum")
        seen = moving(np.isfinite(diff).astype(float), span, least, "sum")
        return earlier(total / seen)

    off_day = (msd(day // 4) + msd(day // 2) + msd(3 * day // 4)) / 3
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = msd(day) / off_day
    return np.where((off_day == 0) & (msd(day) == 0), np.inf, ratio)
