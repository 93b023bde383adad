"""Sustained deviations of gauges (SEMANTICS.md §4): the mean of the last few residuals, judged against
how far such means stray in the series' own history.

A level shift or a slow, moderate excursion rarely puts any single bucket four spreads from its
expectation, yet an hour or three of buckets all on one side is plain to see. The mean of the last
``k`` residuals (actual − expected) is that evidence. It is judged twice, and must pass both:

- **significance**: its size against the typical size of the earlier ``k``-bucket means, per block (a
  day) the median |mean|, the median of those over the last ``blocks`` blocks, over 0.674 (medians of
  medians: earlier incidents do not inflate it). Not bucket spread / √k: gauge errors are
  autocorrelated (a warm afternoon, a busy hour), so the mean of ``k`` neighbouring residuals strays
  much further than independent noise would. The scale is never below the bucket's own spread on that
  side (tail allowance included) / √k: a run of the series' everyday bursts is no level shift.
- **plausibility**: it is larger (on its side) than every earlier block's largest mean of the same width
  over the last ``blocks`` blocks. Real gauges drift by as much every few days (weather, load); only a
  run beyond the fortnight's extremes is news. (Measured on NAB: requiring it to beat the second- or
  third-largest day instead drew 11-16 more false positives for 1-2 more windows.) So one sustained
  incident in the last two weeks masks a sustained one of its size or smaller; single buckets are still
  judged on their own.

Only earlier buckets set either bound, so appending data never changes an earlier verdict.
"""

from __future__ import annotations

from typing import Literal

import bottleneck as bn
import numpy as np

from tripl_core.analysis.seasonal import earlier, moving, row_nanmedian

# Buckets per judged mean besides the bucket itself: three hours of 15-minute buckets, twelve of coarser
# ones. Each mean is one more look (a Bonferroni correction on every look): adding a 4-bucket mean found
# one more NAB window for five more false positives (F1 0.50 → 0.49).
WIDTHS = (12,)
# Median of |x| for a standard normal x.
_HALF_NORMAL_MEDIAN = 0.6744897501960817
# Earlier blocks whose means must be known before a mean is judged.
_MIN_CALIBRATION_BLOCKS = 3


def looks() -> int:
    """How many looks judge a gauge bucket: its own residual and the means ending at it."""
    return 1 + len(WIDTHS)


def mean_z(residual: np.ndarray, below: np.ndarray, above: np.ndarray, shared: np.ndarray, width: int,
           block: int, blocks: int) -> np.ndarray:
    """z of the mean of the ``width`` residuals ending at each bucket (see the module); NaN unless all of
    them are known, the history is long enough and the mean is beyond the fortnight's extremes."""
    mean = np.asarray(bn.move_mean(residual, width, min_count=width, axis=-1), dtype=float)
    typical = _per_block(np.abs(mean), block, blocks, "median")
    # The bucket spread of the side the mean lies on: a mean lifted by one of the series' everyday
    # bursts is judged by the allowance those bursts earned, whatever side the latest bucket is on.
    side = np.where(mean < 0, below, above)
    scale = np.fmax(typical / _HALF_NORMAL_MEDIAN, np.sqrt(side**2 / width + shared))
    largest_above = _per_block(np.where(mean > 0, mean, 0.0), block, blocks, "max")
    largest_below = _per_block(np.where(mean < 0, -mean, 0.0), block, blocks, "max")
    beyond = np.where(mean > 0, mean > largest_above, -mean > largest_below)
    with np.errstate(invalid="ignore"):
        return np.where(beyond, mean / scale, np.nan)


def _per_block(size: np.ndarray, block: int, blocks: int, statistic: Literal["median", "max"]) -> np.ndarray:
    """Per bucket: the ``statistic`` over the ``blocks`` blocks before its own of the same statistic
    within each block, NaN skipped (NaN until ``_MIN_CALIBRATION_BLOCKS`` blocks are known)."""
    n = size.shape[-1]
    count = -(-n // block)
    padded = np.full((*size.shape[:-1], count * block), np.nan)
    padded[..., :n] = size
    by_block = padded.reshape(*size.shape[:-1], count, block)
    # np.fmax skips NaN: NaN only where the whole block is.
    per_block = row_nanmedian(by_block) if statistic == "median" else np.fmax.reduce(by_block, axis=-1)
    return earlier(moving(per_block, blocks, _MIN_CALIBRATION_BLOCKS, statistic))[..., np.arange(n) // block]
