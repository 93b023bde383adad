"""Silence (SEMANTICS.md §4): a count series that was regularly seen and has been at zero for longer
than its own history makes plausible.

A stretch of zeros is measured by how unlikely it is under the count law of each bucket: the surprise
of a silent run is −log P(all zero) = Σ −log P(Xᵢ = 0), in nats (e⁻⁵ per bucket at 5 events a
bucket, so an hour of zeros weighs 20 nats). The surprise grows bucket by bucket while the silence
lasts and resets when data comes back. A bucket is silent when that surprise

- is significant: P(all zero) ≤ Φ(−sigma), the same rarity as any other verdict; and
- is larger than the series' own silences usually are: above the third-largest daily longest silence
  of the previous ``window`` days. A series that goes quiet every night (or on three days in the last
  two weeks) has made that silence plausible; one or two earlier outages have not, so they never mask
  the next one, and the bound stays explicit (three days of two weeks) instead of a fitted percentile.

Only earlier buckets are read (the current run's own surprise excepted), so appending data never changes
an earlier verdict.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from tripl_core.analysis import counts
from tripl_core.analysis.seasonal import lagged

# How many days of the last ``window`` must have had a silence at least this surprising for it to be
# the series' normal.
PLAUSIBLE_DAYS = 3


def silence_surprise(values: np.ndarray, expected: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Surprise (nats) of the silent run ending at each bucket; 0 where the bucket is not silent or
    has no expectation."""
    zero = (values == 0) & np.isfinite(expected) & np.isfinite(variance)
    with np.errstate(divide="ignore"):
        per_bucket = -np.log(np.clip(counts.zero_probability(np.where(zero, expected, 0.0),
                                                              np.where(zero, variance, 0.0)), 1e-300, 1.0))
    per_bucket = np.where(zero, per_bucket, 0.0)
    total = np.cumsum(per_bucket, axis=-1)
    positions = np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    last_reset = np.maximum.accumulate(np.where(zero, -1, positions), axis=-1)
    at_reset = np.where(last_reset >= 0, np.take_along_axis(total, np.clip(last_reset, 0, None), axis=-1), 0.0)
    return np.where(zero, total - at_reset, 0.0)


def silent(surprise: np.ndarray, sigma: float, block: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(is silent, z) per bucket from the run surprise: z is the normal quantile of P(all zero)."""
    n = surprise.shape[-1]
    count = -(-n // block)
    padded = np.zeros((*surprise.shape[:-1], count * block))
    padded[..., :n] = surprise
    per_block = padded.reshape(*surprise.shape[:-1], count, block).max(axis=-1)
    earlier = np.nan_to_num(lagged(per_block, np.arange(1, window + 1)), nan=0.0)
    plausible = np.sort(earlier, axis=-1)[..., -min(PLAUSIBLE_DAYS, window)]
    plausible = plausible[..., np.arange(n) // block]
    significant = surprise >= -np.log(special.ndtr(-sigma))
    is_silent = significant & (surprise > plausible)
    z = special.ndtri(np.exp(-np.clip(surprise, 0.0, 690.0)))
    return is_silent, np.where(surprise > 0, np.fmin(z, 0.0), np.nan)


def until_data_returns(is_silent: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A silence stays open until data returns: every zero bucket after a silent one in the same run of
    zeros is silent too, so one silence is one incident even when the model judging it changes while it
    lasts (a warm-up baseline giving way to the seasonal one) or its length becomes plausible."""
    positions = np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    seen = np.cumsum(is_silent, axis=-1)
    # Silent verdicts up to each bucket, less those up to the last bucket with data.
    last_data = np.maximum.accumulate(np.where(values != 0, positions, -1), axis=-1)
    at_data = np.where(last_data >= 0, np.take_along_axis(seen, np.clip(last_data, 0, None), axis=-1), 0)
    return is_silent | ((values == 0) & (seen - at_data > 0))
