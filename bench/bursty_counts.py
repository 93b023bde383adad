"""Bursty, low-volume 15-minute counts for the detector benchmark (issue 19, session 15): a seeded stand-in
for held-out count data such as social-media mention counts resampled to 15-minute sums.

Usage: python bench/bursty_counts.py [--series-per-level N] [--seed S] [--detail]

Each series is a negative binomial count per 15 minutes (overdispersion k of the series drawn in 4-30)
around ``level × daily rhythm × weekly rhythm × day-to-day wander`` plus **ordinary bursts**: episodes
arriving every 2-5 days on average (the series' own rate), each a self-exciting cluster of one to a few
bursts hours apart (after each burst another follows with probability 0.45), each burst an additive
peak of ``B × m`` events decaying exponentially over a time constant of 30 minutes to 2 hours, where B
(the series' burst scale) is 1.5-4 × the level and m a log-normal size (σ 0.35) bounded to [0.5, 1.8].
The weekly mean of the base rate (the level) is one of ``LEVELS`` (2-200 events a bucket), 42 days a
series, starting on a Monday.

Two planted incidents per series, the first on day 12-24, the second on day 28-39 (kinds in rotation):

- ``burst``: one burst of peak 3.5 × B (≥ 1.9× the largest ordinary one), the series' decay;
- ``stop``: no events at all for 2-4 hours, starting in the busier half of the day;
- ``drop``: the rate at 10-35% for 3-8 hours, starting in the busier half of the day;
- ``step``: the rate (bursts included) × 0.4 or × 2.2 from then to the end of the series.

Scoring follows nab-dev's README: the first 15% of each series (at most 750 buckets) is probation; each
incident has a window of 10% of the series' length divided by its number of incidents, centred on its
start; a window is hit when a flagged bucket lies in it; every flagged bucket outside all windows is a
false positive; precision = hits / (hits + false positives), recall = hits / windows, F1 from both.
False positives are also counted per series-month of judged time (after probation) and split by what
was happening at the flagged bucket (``--detail``): an ordinary burst under way (its additive rate
at least the base rate's spread), or nothing but noise and rhythm.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tripl_core.analysis.anomaly import detect_many  # noqa: E402
from tripl_core.analysis.detector_settings import DetectorSettings  # noqa: E402

DAYS = 42
BUCKETS_PER_DAY = 96
LEVELS = (2, 5, 10, 20, 50, 100, 200)
SERIES_PER_LEVEL = 24
KINDS = ("burst", "stop", "drop", "step")
FIRST_KINDS = ("burst", "stop", "drop")
SECOND_KINDS = ("step", "burst", "stop", "drop")
PROBATION_SHARE = 0.15
PROBATION_MAX_BUCKETS = 750
WINDOW_SHARE = 0.10
ORDINARY_SIZE_BOUNDS = (0.5, 1.8)
PLANTED_BURST = 3.5


@dataclass(frozen=True, slots=True)
class Incident:
    kind: str
    start: int
    end: int  # exclusive; a step runs to the series' end


@dataclass(slots=True)
class BurstyScore:
    windows: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    false_positives: int = 0
    false_by_cause: Counter[str] = field(default_factory=Counter)
    judged_months: float = 0.0

    def add(self, other: BurstyScore) -> None:
        self.windows.update(other.windows)
        self.hits.update(other.hits)
        self.false_positives += other.false_positives
        self.false_by_cause.update(other.false_by_cause)
        self.judged_months += other.judged_months

    def f1(self) -> tuple[float, float, float]:
        hits, windows = sum(self.hits.values()), sum(self.windows.values())
        precision = hits / (hits + self.false_positives) if hits + self.false_positives else 0.0
        recall = hits / windows if windows else 0.0
        return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _base_rate(rng: np.random.Generator, index: pd.DatetimeIndex, level: float) -> np.ndarray:
    hour = np.asarray(index.hour + index.minute / 60)
    peak = rng.uniform(11, 21)
    daily = 1 + rng.uniform(0.3, 0.8) * np.cos(2 * np.pi * (hour - peak) / 24)
    weekly = np.where(np.asarray(index.day_of_week) >= 5, rng.uniform(0.5, 1.0), 1.0)
    wander = np.repeat(np.exp(rng.normal(0.0, 0.08, DAYS)), BUCKETS_PER_DAY)
    shape = daily * weekly * wander
    return np.asarray(level * shape / shape.mean())


def _ordinary_bursts(rng: np.random.Generator, scale: float, tau: float) -> np.ndarray:
    """Additive rate of the series' own repeated bursts: self-exciting clusters every few days."""
    n = DAYS * BUCKETS_PER_DAY
    rate = np.zeros(n)
    decay = np.exp(-np.arange(int(8 * tau) + 1) / tau)
    mean_gap = rng.uniform(2, 5) * BUCKETS_PER_DAY
    t = rng.exponential(mean_gap)
    while t < n:
        burst = int(t)
        while burst < n:
            size = np.clip(rng.lognormal(0.0, 0.35), *ORDINARY_SIZE_BOUNDS)
            stop = min(n, burst + len(decay))
            rate[burst:stop] += scale * size * decay[: stop - burst]
            if rng.random() >= 0.45:
                break
            burst += int(rng.uniform(4, 24))  # the next one 1-6 hours later
        t += rng.exponential(mean_gap)
    return rate


def _busy_start(rng: np.random.Generator, base: np.ndarray, day: int) -> int:
    """A bucket on ``day`` in the busier half of that day (base rate at least its median)."""
    first = day * BUCKETS_PER_DAY
    busy = np.flatnonzero(base[first : first + BUCKETS_PER_DAY] >= np.median(base[first : first + BUCKETS_PER_DAY]))
    return first + int(rng.choice(busy))


def make_series(level: float, number: int, seed: int) -> tuple[np.ndarray, list[Incident], np.ndarray, np.ndarray]:
    """(counts, incidents, base rate, ordinary-burst rate) of series ``number`` at ``level``."""
    rng = np.random.default_rng([seed, int(level), number])
    index = pd.date_range("2024-01-01", periods=DAYS * BUCKETS_PER_DAY, freq="15min", tz="UTC")
    base = _base_rate(rng, index, level)
    scale = level * rng.uniform(1.5, 4.0)
    tau = rng.uniform(2, 8)  # buckets: 30 minutes to 2 hours
    bursts = _ordinary_bursts(rng, scale, tau)
    k = rng.uniform(4, 30)
    kinds = (FIRST_KINDS[number % len(FIRST_KINDS)], SECOND_KINDS[(number // len(FIRST_KINDS)) % len(SECOND_KINDS)])
    days = (int(rng.integers(12, 25)), int(rng.integers(28, DAYS - 2)))
    multiplier = np.ones(len(base))
    additive = np.zeros(len(base))
    zero = np.zeros(len(base), dtype=bool)
    incidents = []
    for kind, day in zip(kinds, days, strict=True):
        if kind == "burst":
            start = day * BUCKETS_PER_DAY + int(rng.integers(0, BUCKETS_PER_DAY))
            shape = np.exp(-np.arange(int(8 * tau) + 1) / tau)
            stop = min(len(base), start + len(shape))
            additive[start:stop] += PLANTED_BURST * scale * shape[: stop - start]
            end = start + max(1, int(np.ceil(2 * tau)))
        elif kind == "stop":
            start = _busy_start(rng, base, day)
            end = start + int(rng.integers(8, 17))
            zero[start:end] = True
        elif kind == "drop":
            start = _busy_start(rng, base, day)
            end = start + int(rng.integers(12, 33))
            multiplier[start:end] *= rng.uniform(0.10, 0.35)
        else:
            start = _busy_start(rng, base, day)
            end = len(base)
            multiplier[start:] *= 0.4 if rng.random() < 0.5 else 2.2
        incidents.append(Incident(kind, start, end))
    mean = (base + bursts + additive) * multiplier
    # Negative binomial with mean ``mean`` and dispersion k: a Poisson of a gamma-distributed rate.
    counts = rng.poisson(rng.gamma(k, mean / k)).astype(float)
    counts[zero] = 0.0
    return counts, incidents, base * multiplier, bursts * multiplier


def score_level(level: float, series: int = SERIES_PER_LEVEL, seed: int = 19,
                settings: DetectorSettings | None = None) -> BurstyScore:
    made = [make_series(level, number, seed) for number in range(series)]
    index = pd.date_range("2024-01-01", periods=DAYS * BUCKETS_PER_DAY, freq="15min", tz="UTC")
    frame = pd.DataFrame(np.stack([m[0] for m in made], axis=1), index=index)
    flags = detect_many(frame, "15m", settings or DetectorSettings()).is_anomaly
    n = len(index)
    probation = min(int(PROBATION_SHARE * n), PROBATION_MAX_BUCKETS)
    score = BurstyScore()
    for row, (_, incidents, base, bursts) in enumerate(made):
        width = WINDOW_SHARE * n / len(incidents)
        flagged = np.flatnonzero(flags[row])
        flagged = flagged[flagged >= probation]
        outside = np.ones(len(flagged), dtype=bool)
        for incident in incidents:
            low, high = incident.start - width / 2, incident.start + width / 2
            inside = (flagged >= low) & (flagged < high)
            score.windows[incident.kind] += 1
            score.hits[incident.kind] += int(inside.any())
            outside &= ~inside
        score.false_positives += int(outside.sum())
        for bucket in flagged[outside]:
            # A bucket with an ordinary burst under way (or just past: its decay) is a burst's false positive.
            recent = bursts[max(0, bucket - 4) : bucket + 1].max()
            score.false_by_cause["ordinary burst" if recent >= np.sqrt(base[bucket] + 1) else "noise"] += 1
        score.judged_months += (n - probation) / BUCKETS_PER_DAY / 30.4
    return score


def report(series: int = SERIES_PER_LEVEL, seed: int = 19, detail: bool = False,
           settings: DetectorSettings | None = None) -> list[str]:
    rows = ["| level (events per 15 min) | windows | hit | false positives | FP per series-month | F1 "
            "| burst / stop / drop / step found |", "|---:|---:|---:|---:|---:|---:|---|"]
    total = BurstyScore()
    for level in LEVELS:
        score = score_level(level, series, seed, settings)
        total.add(score)
        rows.append(_row(str(level), score))
    rows.append(_row("**all**", total))
    if detail:
        causes = ", ".join(f"{cause} {count}" for cause, count in sorted(total.false_by_cause.items()))
        rows.append(f"\nfalse positives by what was under way: {causes}")
    return rows


def _row(label: str, score: BurstyScore) -> str:
    _, _, f1 = score.f1()
    found = " / ".join(f"{score.hits[k]}/{score.windows[k]}" for k in KINDS)
    fp_rate = score.false_positives / score.judged_months if score.judged_months else 0.0
    return (f"| {label} | {sum(score.windows.values())} | {sum(score.hits.values())} | {score.false_positives} "
            f"| {fp_rate:.2f} | {f1:.2f} | {found} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series-per-level", type=int, default=SERIES_PER_LEVEL)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--detail", action="store_true", help="split the false positives by cause")
    args = parser.parse_args(argv)
    print(*report(args.series_per_level, args.seed, args.detail), sep="\n")


if __name__ == "__main__":
    main()
