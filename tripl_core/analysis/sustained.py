"""Sustained deviations of gauges (SEMANTICS.md §4): the mean of the last few residuals, judged against
how far such means stray in the series' own history.

A level shift or a slow, moderate excursion rarely puts any single bucket four spreads from its
expectation, yet an hour or three of buckets all on one side is plain to see. The mean of the last
``k`` residuals (actual − expected) is that evidence. It is judged twice, and must pass both:

- **significance**: its size against the typical size of the earlier ``k``-bucket means, per block (a
  day) the median |mean|, the median of those over the last ``blocks`` blocks, over 0.674 (medians of
  medians: earlier incidents do not inflate it). Not bucket spread / √k: gauge errors are
  autocorrelated (a warm afternoon, a busy hour), so the mean of ``k`` neighbouring residuals strays
  much further than independent noise would. The scale is never below √(spread² / k + shared): the
  bucket's spread on the mean's side (tail allowance included: a run of the series' everyday bursts is
  no level shift) and the expectation error its ``k`` buckets share (the weekday effect learnt from a
  week or two moves a whole hour's expectation by ~0.4–0.6 of a bucket's noise; without this term flat
  white noise drew one sustained verdict per three-week series).
- **plausibility**: it is larger (on its side) than the third-largest of the earlier ``blocks`` blocks'
  largest means of the same width (``silence.PLAUSIBLE_DAYS``, the silences' rule): a drift the series
  shows on three days of the last two weeks is its normal, one or two earlier incidents never mask the
  next. (On NAB: without this bound 2 more false positives, with the fortnight's largest instead 1 window
  fewer.)

Both need ``_MIN_CALIBRATION_BLOCKS`` earlier days of means: until then there is no verdict from the mean.
(Before session 16 of issue 19 the means of days without verdicts were read as 0 and a missing scale
as the bare noise floor, so a gauge's first means were judged with no history: NAB 3 false positives,
no window; autocorrelated flat gauges flagged in their first week.)

Only earlier buckets set either bound, so appending data never changes an earlier verdict.
"""

from __future__ import annotations

import bottleneck as bn
import numpy as np

from tripl_core.analysis.seasonal import earlier, lagged, moving, row_nanmedian
from tripl_core.analysis.silence import PLAUSIBLE_DAYS

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
    them are known, the history is long enough and the mean is beyond what three earlier days reached."""
    mean = np.asarray(bn.move_mean(residual, width, min_count=width, axis=-1), dtype=float)
    # The bucket spread of the side the mean lies on: a mean lifted by one of the series' everyday
    # bursts is judged by the allowance those bursts earned, whatever side the latest bucket is on.
    side = np.where(mean < 0, below, above)
    return beyond_history_z(mean, np.sqrt(side**2 / width + shared), block, blocks, _MIN_CALIBRATION_BLOCKS)


def beyond_history_z(statistic: np.ndarray, floor: np.ndarray | float, block: int, blocks: int, min_blocks: int
                     ) -> np.ndarray:
    """z of a moving ``statistic`` of residuals (a mean here, a median in ``shifts``) judged against its own
    history: over its scale (the median over ``blocks`` earlier blocks of each block's median |statistic|,
    / 0.674, never below ``floor``) where it is beyond the ``PLAUSIBLE_DAYS``-th largest of those blocks'
    largest values on its side; NaN elsewhere, and until ``min_blocks`` blocks of it are known.

    Values from before the first verdict are unknown, not 0: read as 0 (before issue 19 session 16) a day
    of them counted as a day without drift, so the first judged values met a plausibility bound of 0 and,
    with no scale yet, the bare ``floor`` (NAB: 3 false positives; AR(1) gauges flagged in warm-up)."""
    typical = typical_size(np.abs(statistic), block, blocks, min_blocks)
    scale = np.where(np.isnan(typical), np.nan, np.fmax(typical / _HALF_NORMAL_MEDIAN, floor))
    unknown = np.isnan(statistic)
    usual_above = plausible_size(np.where(unknown, np.nan, np.fmax(statistic, 0.0)), block, blocks, min_blocks)
    usual_below = plausible_size(np.where(unknown, np.nan, np.fmax(-statistic, 0.0)), block, blocks, min_blocks)
    beyond = np.where(statistic > 0, statistic > usual_above, -statistic > usual_below)
    with np.errstate(invalid="ignore"):
        return np.where(beyond, statistic / scale, np.nan)


def typical_size(size: np.ndarray, block: int, blocks: int, min_blocks: int) -> np.ndarray:
    """Per bucket: the median over the ``blocks`` blocks before its own of each block's median ``size``
    (NaN until ``min_blocks`` blocks are known)."""
    per_block = row_nanmedian(_by_block(size, block))
    median = earlier(moving(per_block, blocks, min_blocks, "median"))
    return median[..., np.arange(size.shape[-1]) // block]


def plausible_size(size: np.ndarray, block: int, blocks: int, min_blocks: int) -> np.ndarray:
    """Per bucket: the ``PLAUSIBLE_DAYS``-th largest of the ``blocks`` earlier blocks' largest ``size``
    (+inf until ``min_blocks`` blocks are known: no verdict without history)."""
    # np.fmax skips NaN: a block's largest is NaN only where the whole block is.
    per_block = np.fmax.reduce(_by_block(size, block), axis=-1)
    window = lagged(per_block, np.arange(1, blocks + 1))
    known = np.sum(np.isfinite(window), axis=-1)
    ordered = np.sort(np.nan_to_num(window, nan=-np.inf), axis=-1)
    rank = min(PLAUSIBLE_DAYS, blocks)
    usual = np.where(known >= max(rank, min_blocks), ordered[..., -rank], np.inf)
    return usual[..., np.arange(size.shape[-1]) // block]


def _by_block(size: np.ndarray, block: int) -> np.ndarray:
    """``(..., blocks, block)``: the series cut into blocks, the last one padded with NaN."""
    n = size.shape[-1]
    count = -(-n // block)
    padded = np.full((*size.shape[:-1], count * block), np.nan)
    padded[..., :n] = size
    return padded.reshape(*size.shape[:-1], count, block)
