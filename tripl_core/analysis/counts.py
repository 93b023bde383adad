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


def tail_z(values: np.ndarray, mean: np.ndarray, variance: np.ndarray, exact_from: float = 2.0) -> np.ndarray:
    """Signed normal quantile of each count's tail probability: z > 0 from P(X ≥ x) when x is above
    the mean, z < 0 from P(X ≤ x) when below.

    The exact tail (incomplete gamma/beta functions) costs about a microsecond a bucket; most buckets
    are ordinary, so it is computed only where the signed root of the deviance (an accurate, cheap
    approximation of the same z) reaches ``exact_from``; elsewhere that approximation is z.
    """
    values, mean, variance = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (values, mean, variance)))
    z = np.full(values.shape, np.nan)
    known = np.isfinite(values) & np.isfinite(mean) & np.isfinite(variance)
    x = np.clip(values[known], 0.0, None)
    mu = np.clip(mean[known], 0.0, None)
    var = np.fmax(variance[known], mu)
    k = _dispersion(mu, var)
    approx = _root_deviance(x, mu, k)
    exact = np.abs(approx) >= exact_from
    above = x[exact] > mu[exact]
    p = np.where(above, _upper_tail(x[exact], mu[exact], k[exact]), _lower_tail(x[exact], mu[exact], k[exact]))
    # -ndtri(p) is the normal quantile of the same upper tail; only the side the count lies on counts.
    magnitude = np.clip(-special.ndtri(np.clip(p, _TINY, 1.0)), 0.0, None)
    approx[exact] = np.where(above, magnitude, -magnitude)
    z[known] = approx
    return z


def _root_deviance(x: np.ndarray, mu: np.ndarray, k: np.ndarray) -> np.ndarray:
    """sign(x − mu)·√deviance of the Poisson (k = inf) or negative binomial law."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0) / np.where(mu > 0, mu, 1e-300)), 0.0)
        finite_k = np.where(np.isfinite(k), k, 1.0)
        nb_term = (x + finite_k) * np.log((x + finite_k) / (mu + finite_k))
        deviance = 2 * np.where(np.isfinite(k), log_ratio - nb_term, log_ratio - (x - mu))
    return np.sign(x - mu) * np.sqrt(np.clip(np.nan_to_num(deviance, nan=0.0, posinf=1e6), 0.0, None))


def _dispersion(mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """k of the negative binomial with this mean and variance (inf: Poisson)."""
    excess = var - mu
    k = np.full(mu.shape, np.inf)
    np.divide(mu * mu, excess, out=k, where=excess > mu * mu / _POISSON_K)
    return k


def _upper_tail(x: np.ndarray, mu: np.ndarray, k: np.ndarray) -> np.ndarray:
    """P(X ≥ x); 1 for x ≤ 0."""
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


def _lower_tail(x: np.ndarray, mu: np.ndarray, k: np.ndarray) -> np.ndarray:
    """P(X ≤ x)."""
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
    """The counts between which both tails stay above Φ(−sigma), from a gamma law with the same mean
    and variance (the continuous twin of the negative binomial) through the Wilson–Hilferty cube-root
    formula: closed form, so the band is cheap for every bucket; the verdict itself uses the tails."""
    mu = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    var = np.fmax(np.asarray(variance, dtype=float), mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = mu * mu / var
        spread = 1.0 / (9.0 * shape)
        lower = mu * np.clip(1.0 - spread - sigma * np.sqrt(spread), 0.0, None) ** 3
        upper = mu * (1.0 - spread + sigma * np.sqrt(spread)) ** 3
    # An expectation of 0 with some spread left (the comparables vary) has no gamma twin: sigma spreads.
    upper = np.where(mu > 0, upper, sigma * np.sqrt(var))
    lower = np.where(mu > 0, lower, 0.0)
    nan = ~(np.isfinite(mean) & np.isfinite(variance))
    # Counts are whole: the band reaches out to the whole counts around its quantiles.
    return np.where(nan, np.nan, np.floor(lower)), np.where(nan, np.nan, np.ceil(upper))


def corrected_z(z: np.ndarray, looks: np.ndarray | int) -> np.ndarray:
    """``z`` after a Bonferroni correction for ``looks`` looks at the same bucket (its own count and the
    sums ending at it), so that judging a bucket at several scales does not make a false alarm more
    likely than judging it once: the one-sided tail probability is multiplied by ``looks``."""
    z = np.asarray(z, dtype=float)
    looks = np.broadcast_to(np.asarray(looks), z.shape)
    out = np.where(np.isfinite(z), z, np.nan)
    # One look needs no correction: only the buckets judged several times pay for the two special functions.
    several = (looks > 1) & np.isfinite(z)
    p = special.ndtr(-np.abs(z[several])) * looks[several]
    magnitude = np.clip(-special.ndtri(np.clip(p, _TINY, 0.5)), 0.0, None)
    out[several] = np.sign(z[several]) * magnitude
    return out


def most_extreme(z_by_look: list[np.ndarray]) -> np.ndarray:
    """Per bucket, the z of largest magnitude (NaN where every look is NaN)."""
    best = np.asarray(z_by_look[0], dtype=float)
    best_magnitude = np.where(np.isfinite(best), np.abs(best), -1.0)
    for z in z_by_look[1:]:
        magnitude = np.where(np.isfinite(z), np.abs(z), -1.0)
        # Strictly larger: on a tie the earlier look is kept.
        larger = magnitude > best_magnitude
        best = np.where(larger, z, best)
        best_magnitude = np.where(larger, magnitude, best_magnitude)
    return best
