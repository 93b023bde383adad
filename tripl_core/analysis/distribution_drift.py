"""Distribution drift (SEMANTICS §5): the population stability index of a field's value shares between a
baseline window and the current one, minus what sampling noise alone would give, and its band."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MINOR = 0.10
SIGNIFICANT = 0.25
# Added to every bin's count before taking shares, so a value absent on one side has a finite log.
SMOOTHING = 0.5


class DriftBand(StrEnum):
    stable = "stable"
    minor = "minor"
    significant = "significant"


@dataclass(frozen=True)
class DriftResult:
    psi: float
    noise: float
    score: float  # psi - noise, floored at 0
    band: DriftBand
    changes: list[tuple[str, float, float]]  # (value, baseline share, current share), largest move first


def band(score: float) -> DriftBand:
    if score >= SIGNIFICANT:
        return DriftBand.significant
    return DriftBand.minor if score >= MINOR else DriftBand.stable


def psi(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Σ (cur − base)·ln(cur / base) over value shares, empty bins smoothed."""
    base_shares, cur_shares = _shares(baseline, current)
    return sum((c - b) * math.log(c / b) for b, c in zip(base_shares, cur_shares, strict=True))


def noise_psi(bins: int, baseline_total: float, current_total: float) -> float:
    """The PSI expected from sampling alone when both windows draw from one distribution: PSI is about a
    chi-square statistic with bins − 1 degrees of freedom scaled by (1/n_base + 1/n_cur)."""
    if baseline_total <= 0 or current_total <= 0:
        return math.inf
    return max(bins - 1, 0) * (1 / baseline_total + 1 / current_total)


def distribution_drift(baseline: Mapping[str, float], current: Mapping[str, float]) -> DriftResult:
    """Drift of the current value counts against the baseline ones (values are the keys)."""
    values = sorted(set(baseline) | set(current))
    raw = psi(baseline, current)
    noise = noise_psi(len(values), sum(baseline.values()), sum(current.values()))
    score = max(raw - noise, 0.0) if math.isfinite(noise) else 0.0
    base_shares, cur_shares = _shares(baseline, current)
    changes = sorted(zip(values, base_shares, cur_shares, strict=True), key=lambda t: -abs(t[2] - t[1]))
    return DriftResult(raw, noise if math.isfinite(noise) else 0.0, score, band(score), changes)


def _shares(baseline: Mapping[str, float], current: Mapping[str, float]) -> tuple[list[float], list[float]]:
    values = sorted(set(baseline) | set(current))
    base = [baseline.get(v, 0.0) + SMOOTHING for v in values]
    cur = [current.get(v, 0.0) + SMOOTHING for v in values]
    base_total, cur_total = sum(base), sum(cur)
    return [b / base_total for b in base], [c / cur_total for c in cur]
