"""Counts judged as counts (SEMANTICS.md §4): tail probabilities of a negative binomial around the
expectation, turned into the normal quantile ``z`` that the rest of tripl reads.

A count of E events a bucket varies by about √E (Poisson); real event volumes vary more (users act in
sessions, campaigns come and go), which the detector learns from the series as a variance V ≥ E. A
negative binomial with mean E and variance V (Poisson when V = E) is the usual count law with that
overdispersion: its tails are exact at 2 events a bucket as at 20,000, where a z-score of (x − E)/√V is
not (a drop to 0 at E = 8 has probability e⁻⁸ ≈ 3·10⁻⁴, "z" −2.8, while 9 events at E = 3 is a
z-score of 3.5 that happens once in 250 buckets). ``z`` is the standard normal quantile with the same
one-sided tail probability, so ``|z| ≥ sigma`` keeps its meaning: the rarity of a ``sigma`` deviation of
normal noise (two-sided probability 2·Φ(−sigma), 6·10⁻⁵ at 4).

Arrays broadcast element by element; NaN in any input gives NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# Above this dispersion parameter k (variance E + E²/k) the law is Poisson to many decimals, and the
# incomplete beta function of a huge k loses precision: Poisson tails are used instead.
_POISSON_K = 1e7
# Tail probabilities are clipped here so z stays finite (about 37 sigma).
_TINY = 1e-300


def tail_z(values: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Signed normal quantile of each count's tail probability: z > 0 from P(X ≥ x) when x is above
    the mean, z < 0 from P(X ≤ x) when below (0 where neither tail is below one half)."""
    values, mean, variance = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (values, mean, variance)))
    z = np.full(values.shape, np.nan)
    known = np.isfinite(values) & np.isfinite(mean) & np.isfinite(variance)
    x = np.clip(values[known], 0.0, None)
    mu = np.clip(mean[known], 0.0, None)
    var = np.fmax(variance[known], mu)
    above = x > mu
    upper = _upper_tail(x, mu, var)
    lower = _lower_tail(x, mu, var)
    p = np.clip(np.where(above, upper, lower), _TINY, 1.0)
    # -ndtri(p) is the normal quantile of the same upper tail; only the side the count lies on counts.
    magnitude = np.clip(-special.ndtri(p), 0.0, None)
    z[known] = np.where(above, magnitude, -magnitude)
    return z


def _dispersion(mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """k of the negative binomial with this mean and variance (inf: Poisson)."""
    excess = var - mu
    k = np.full(mu.shape, np.inf)
    np.divide(mu * mu, excess, out=k, where=excess > mu * mu / _POISSON_K)
    return k


def _upper_tail(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X ≥ x); 1 for x ≤ 0."""
    k = _dispersion(mu, var)
    out = np.ones(x.shape)
    positive = x > 0
    poisson = positive & ~np.isfinite(k)
    nb = positive & np.isfinite(k)
    out[poisson] = special.gammainc(x[poisson], mu[poisson]) if poisson.any() else out[poisson]
    # X ~ NB(k, p = k / (k + mu)): P(X ≥ x) = I_{1-p}(x, k), the regularised incomplete beta function.
    if nb.any():
        out[nb] = special.betainc(x[nb], k[nb], mu[nb] / (k[nb] + mu[nb]))
    # A mean of 0 cannot produce any count: the smallest positive count is then infinitely rare.
    return np.where(positive & (mu <= 0), 0.0, out)


def _lower_tail(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X ≤ x)."""
    k = _dispersion(mu, var)
    out = np.ones(x.shape)
    poisson = ~np.isfinite(k)
    nb = ~poisson
    if poisson.any():
        out[poisson] = special.gammaincc(x[poisson] + 1.0, mu[poisson])
    # P(X ≤ x) = I_p(k, x + 1).
    if nb.any():
        out[nb] = special.betainc(k[nb], x[nb] + 1.0, k[nb] / (k[nb] + mu[nb]))
    return out


def zero_probability(mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """P(X = 0) of the same law: e^-E for Poisson, (k / (k + E))^k with overdispersion (log space)."""
    mu = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    var = np.fmax(np.asarray(variance, dtype=float), mu)
    k = _dispersion(mu, var)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.where(np.isfinite(k), -k * np.log1p(mu / np.where(np.isfinite(k), k, 1.0)), -mu)
    return np.exp(log_p)


def band(mean: np.ndarray, variance: np.ndarray, sigma: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """The counts between which both tails stay above Φ(−sigma): a gamma law with the same mean and
    variance (the continuous twin of the negative binomial) gives quantiles in closed form, so the
    band is cheap for every bucket; the verdict itself uses the exact discrete tails."""
    mu = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    var = np.fmax(np.asarray(variance, dtype=float), mu)
    tail = special.ndtr(-sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = mu * mu / var
        scale = var / mu
        lower = np.where(mu > 0, scale * special.gammaincinv(shape, tail), 0.0)
        # An expectation of 0 with some spread left (the comparables vary) has no gamma twin: sigma spreads.
        upper = np.where(mu > 0, scale * special.gammainccinv(shape, tail), sigma * np.sqrt(var))
    nan = ~(np.isfinite(mean) & np.isfinite(variance))
    # Counts are whole: the band reaches out to the whole counts around its quantiles.
    return np.where(nan, np.nan, np.floor(lower)), np.where(nan, np.nan, np.ceil(upper))


def corrected_z(z: np.ndarray, looks: np.ndarray | int) -> np.ndarray:
    """``z`` after a Bonferroni correction for ``looks`` looks at the same bucket (its own count and the
    sums ending at it), so that judging a bucket at several scales does not make a false alarm more
    likely than judging it once: the one-sided tail probability is multiplied by ``looks``."""
    with np.errstate(invalid="ignore"):
        p = special.ndtr(-np.abs(z)) * looks
    magnitude = np.clip(-special.ndtri(np.clip(p, _TINY, 0.5)), 0.0, None)
    return np.where(np.isfinite(z), np.sign(z) * magnitude, np.nan)


def most_extreme(z_by_look: list[np.ndarray]) -> np.ndarray:
    """Per bucket, the z of largest magnitude (NaN where every look is NaN)."""
    stacked = np.stack(z_by_look)
    magnitude = np.where(np.isfinite(stacked), np.abs(stacked), -1.0)
    pick = np.argmax(magnitude, axis=0)
    return np.take_along_axis(stacked, pick[None], axis=0)[0]
