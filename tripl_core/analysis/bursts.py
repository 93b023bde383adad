"""Repeated bursts (SEMANTICS.md §4): a rise of a count is a spike only when it is clearly larger than the
bursts the series itself keeps showing (and a gauge's excursion, either way, than its usual ones).

Event volumes such as media mentions, campaign clicks or batch senders burst every few days: a few
buckets several times the expectation, then back. The count spread's tail allowance
(``anomaly._tail_inflation``) is bounded at 2× so that repeated bursts never mask a larger one; that left
every ordinary burst a verdict, on the bucket's own count and again on the hour, six hours and day holding
it (bench/bursty_counts.py: 689 of 796 false positives were ordinary bursts).

So an upward look (the bucket's own count, or a sum ending at it) is a verdict only when its **rise** (events
above the expectation, summed over the look's buckets) is also more than ``CLEARLY_LARGER`` times the
``USUAL_BURST_DAYS``-th largest of the earlier ``blocks`` days' largest rises of that look. Rises are
measured in events, not in spreads: a burst of mentions adds events whatever the hour, while its z is
far larger at night than at the busiest hour, so in z the night's bursts would set the bound for the day.

The bound is explicit and robust: a burst the series has shown on two days of the last two weeks is
its normal, one earlier incident alone never raises the bound (it never masks the next), and a burst
half as large again as the second-largest day's is found whatever came before. Count drops are not
bounded this way (bounding them too found 31 instead of 49 of 98 planted drops on the bursty bench; a
count that drops is not bursty, and silences have their own rule, ``silence``). Gauges' own residuals are
bounded on both sides (``anomaly._gauge_z``, residuals in the gauge's unit): load, latency and sensors
burst both ways (NAB: 40 → 34 false positives, no window lost; rises only: 37).

Only earlier days set the bound, so appending data never changes an earlier verdict.
"""

from __future__ import annotations

import numpy as np

from tripl_core.analysis.seasonal import lagged

# Days of the last ``blocks`` with a rise at least this large for it to be the series' normal: two, so that a
# single earlier incident is never the normal (the silences' and sustained means' rule is three: measured
# with three, a new ordinary burst beat the third-largest of the three to seven burst days of a
# fortnight about half the time; docs/benchmarks.md, issue 19 session 15).
USUAL_BURST_DAYS = 2
# How much larger than the usual burst a rise must be. Measured on bench/bursty_counts.py (F1 / false
# positives per series-month / planted bursts found): 1.0 0.45 / 2.85 / 89 of 98, 1.5 0.50 / 2.01 / 84,
# 2.0 0.52 / 1.46 / 65 — 2.0 starts losing the incidents the bound is there to keep.
CLEARLY_LARGER = 1.5
# Earlier days whose largest rise must be known before a rise is bounded; before that, the count law alone.
_MIN_BLOCKS = 3


def usual_rise(excess: np.ndarray, block: int, blocks: int) -> np.ndarray:
    """Per bucket: the ``USUAL_BURST_DAYS``-th largest of the ``blocks`` earlier blocks' largest rise
    (``excess`` above 0; 0 for a block without a rise; -inf until ``_MIN_BLOCKS`` blocks are known)."""
    rise = np.where(excess > 0, excess, 0.0)
    rise = np.where(np.isnan(excess), np.nan, rise)
    n = rise.shape[-1]
    count = -(-n // block)
    padded = np.full((*rise.shape[:-1], count * block), np.nan)
    padded[..., :n] = rise
    # np.fmax skips NaN: a block's largest is NaN only where the whole block is unknown.
    per_block = np.fmax.reduce(padded.reshape(*rise.shape[:-1], count, block), axis=-1)
    window = lagged(per_block, np.arange(1, blocks + 1))
    known = np.sum(np.isfinite(window), axis=-1)
    ordered = np.sort(np.nan_to_num(window, nan=-np.inf), axis=-1)
    rank = min(USUAL_BURST_DAYS, blocks)
    usual = np.where(known >= max(rank, _MIN_BLOCKS), ordered[..., -rank], -np.inf)
    return usual[..., np.arange(n) // block]


def beyond_usual(z: np.ndarray, excess: np.ndarray, block: int, blocks: int) -> np.ndarray:
    """Whether each look may be a verdict: not a rise (``z`` ≤ 0 or unknown), or a rise whose ``excess``
    (events above the expectation) is more than ``CLEARLY_LARGER`` × ``usual_rise`` of the same look."""
    with np.errstate(invalid="ignore"):
        return ~(z > 0) | (excess > CLEARLY_LARGER * usual_rise(excess, block, blocks))


def bound(candidate: np.ndarray, z: np.ndarray, excess: np.ndarray, block: int, blocks: int) -> np.ndarray:
    """``candidate`` verdicts (``(series, buckets)``) less the rises that are not ``beyond_usual``; only the
    series with a candidate rise pay for the bound (most series have none)."""
    with np.errstate(invalid="ignore"):
        rows = np.any(candidate & (z > 0), axis=-1)
    if not rows.any():
        return candidate
    out = candidate.copy()
    out[rows] &= beyond_usual(z[rows], excess[rows], block, blocks)
    return out
