"""Counts judged over coarser sums (SEMANTICS.md §4): the last hour, six hours and day ending at a
bucket, so slow or small incidents of sparse series surface once they are significant. Sparse means a
bucket's effective count (E² over its everyday variance, ``anomaly._looks_at``) is small: a busy but
overdispersed series is judged over sums too.

At 5 events a bucket a 15-minute zero is ordinary (e⁻⁵ ≈ 0.7%), but an hour of zeros (e⁻²⁰) is not; a
doubling at 10 a bucket is 3 sigma per bucket and 6 over an hour. A sum's expectation is the sum of its
buckets' expectations; its variance is not the sum of theirs, because the expectation errors of
neighbouring buckets are shared (one level, one weekday effect): it is learnt from the series' own past
errors at that scale, as the ratio of the sums' actual errors to what independent buckets would give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tripl_core.analysis import counts
from tripl_core.analysis.seasonal import earlier, interval_step, moving, row_nanmedian

# Sums judged besides the bucket itself: the hour, six hours and day ending at it (when longer than the
# bucket and shorter than a week).
SCALES = (pd.Timedelta(hours=1), pd.Timedelta(hours=6), pd.Timedelta(days=1))
# Median of |x| for a standard normal x.
_HALF_NORMAL_MEDIAN = 0.6744897501960817
# Counts' tail allowance: which quantile of a day's one-sided surprises measures its everyday bursts (the
# 5th largest of 96 quarter-hours), what normal noise gives for it, and the most it may widen a side.
TAIL_QUANTILE = 0.95
_NORMAL_TAIL_QUANTILE = 1.6448536269514722
MAX_TAIL_ALLOWANCE = 2.0
# The least relative error a sum's expectation is granted (its measured errors usually say more). The
# demo's volumes wander ~12% around their rhythm (smooth multiplicative noise), so its baseline misses an
# hour or six by 30-60% now and then. With sums judged up to 64 events a bucket (``anomaly._looks_at``),
# over the 36 demo dates: 5% drew 34 extra signals, 10% fewer than 15% did with sums up to 16 events;
# 15% found only 59 of 100 3-hour doublings at 10 events a bucket, 10% 90 (docs/benchmarks.md).
SHARED_ERROR = 0.10
# Earlier blocks (days) whose errors must be known before a sum is judged.
_MIN_CALIBRATION_BLOCKS = 3


def scales(interval: str) -> tuple[int, ...]:
    """Buckets per judged sum for ``interval`` (the bucket itself excluded)."""
    step = interval_step(interval)
    return tuple(int(scale / step) for scale in SCALES if scale > step and scale % step == pd.Timedelta(0))


def window_sum(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of the ``width`` buckets ending at each bucket (NaN if any of them is NaN or missing)."""
    missing = np.isnan(values)
    total = np.cumsum(np.where(missing, 0.0, values), axis=-1)
    holes = np.cumsum(missing, axis=-1)
    pad = np.zeros((*values.shape[:-1], width))
    shifted_total = np.concatenate([pad, total], axis=-1)[..., : values.shape[-1]]
    shifted_holes = np.concatenate([pad, holes], axis=-1)[..., : values.shape[-1]]
    out = total - shifted_total
    out[..., : width - 1] = np.nan
    return np.where(holes - shifted_holes > 0, np.nan, out)


def sum_z(values: np.ndarray, expected: np.ndarray, variance: np.ndarray, width: int, block: int,
          blocks: int) -> np.ndarray:
    """z of the sum of the ``width`` buckets ending at each bucket, under a negative binomial with the
    summed expectation and a variance calibrated on the earlier ``blocks`` blocks' errors at this scale,
    never below Poisson noise plus ``SHARED_ERROR`` of the expectation: a model of seasonal counts does
    not know an hour's or a day's volume better than that, and a sum over many buckets would otherwise
    turn a shared expectation error (a weekday effect a level shift has skewed, an hour the rhythm
    model misses) into a verdict."""
    actual = window_sum(values, width)
    mean = window_sum(expected, width)
    independent = window_sum(variance, width)
    ratio = _error_ratio(actual - mean, np.sqrt(independent), block, blocks)
    variance_of_sum = np.fmax(independent * np.fmax(ratio, 1.0) ** 2, mean + (SHARED_ERROR * mean) ** 2)
    # Shared expectation errors make a sum's errors heavier-tailed than its bulk: the same bounded, robust
    # allowance as single buckets get, per side, learnt from the sums' own earlier surprises.
    surprise = (actual - mean) / np.sqrt(variance_of_sum)
    above = tail_allowance(np.where(surprise < 0, 0.0, surprise), block, blocks)
    below = tail_allowance(np.where(surprise > 0, 0.0, -surprise), block, blocks)
    widened = variance_of_sum * np.where(actual > mean, above, below) ** 2
    return counts.tail_z(actual, mean, widened)


def tail_allowance(surprise: np.ndarray, block: int, blocks: int) -> np.ndarray:
    """How much wider one side of a count's law must be for its everyday bursts, bounded (see
    ``anomaly._tail_inflation``): per earlier block the ``TAIL_QUANTILE`` of its one-sided surprises,
    the median over ``blocks`` blocks against normal noise's, between 1 and ``MAX_TAIL_ALLOWANCE``."""
    n = surprise.shape[-1]
    count = -(-n // block)
    padded = np.full((*surprise.shape[:-1], count * block), np.nan)
    padded[..., :n] = surprise
    per_block = row_quantile(padded.reshape(*surprise.shape[:-1], count, block), TAIL_QUANTILE)
    typical = earlier(moving(per_block, blocks, _MIN_CALIBRATION_BLOCKS, "median"))
    ratio = typical[..., np.arange(n) // block] / _NORMAL_TAIL_QUANTILE
    return np.where(np.isfinite(ratio), np.clip(ratio, 1.0, MAX_TAIL_ALLOWANCE), 1.0)


def row_quantile(matrix: np.ndarray, quantile: float) -> np.ndarray:
    """The ``quantile`` (nearest rank, NaN skipped) over the last axis; NaN when a row is all NaN."""
    ordered = np.sort(matrix, axis=-1)  # NaN sorts last
    valid = np.sum(~np.isnan(matrix), axis=-1)
    rank = np.clip(np.ceil(quantile * valid).astype(int) - 1, 0, matrix.shape[-1] - 1)
    picked = np.take_along_axis(ordered, rank[..., None], axis=-1)[..., 0]
    return np.where(valid == 0, np.nan, picked)


def _error_ratio(error: np.ndarray, reference: np.ndarray, block: int, blocks: int) -> np.ndarray:
    """How large the sums' errors were in units of ``reference`` over earlier blocks: the median over
    ``blocks`` earlier blocks of each block's median |error / reference|, / 0.674 (1 for independent
    normal noise). Medians of medians: a few incident days do not move it. Per block, not per bucket,
    so that ten thousand series stay cheap."""
    standardised = np.abs(error) / reference
    n = standardised.shape[-1]
    count = -(-n // block)
    padded = np.full((*standardised.shape[:-1], count * block), np.nan)
    padded[..., :n] = standardised
    per_block = row_nanmedian(padded.reshape(*standardised.shape[:-1], count, block))
    typical = earlier(moving(per_block, blocks, _MIN_CALIBRATION_BLOCKS, "median"))
    return typical[..., np.arange(n) // block] / _HALF_NORMAL_MEDIAN

