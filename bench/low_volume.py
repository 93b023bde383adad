"""Synthetic low-volume counts for the detector benchmark (issue 19): what tracking events look like
when they are sparse.

Each series is a Poisson count per 15 minutes around ``level × daily rhythm × weekly rhythm`` (the
mean over a week is ``level``), 60 days long, starting on a Monday. Three variants per series, from
the same draws: clean; a full stop of 2 hours; a doubling for 3 hours. Incidents start at 10:00 UTC on
a weekday of the last two weeks (different per series), so they fall where the level is near its peak
of the day. ``detect_many`` scores 100 series per level at once, with the project defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tripl_core.analysis.anomaly import detect_many
from tripl_core.analysis.detector_settings import DetectorSettings

DAYS = 60
BUCKETS_PER_DAY = 96
LEVELS = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50)
SERIES_PER_LEVEL = 100
STOP_BUCKETS = 8  # 2 hours
DOUBLING_BUCKETS = 12  # 3 hours
FOUND_WITHIN = 8  # buckets (2 hours) after the incident's first bucket


@dataclass(frozen=True, slots=True)
class LevelScore:
    level: int
    stops_found: int
    doublings_found: int
    false_signals_clean: int
    series_months_clean: float


def rates(level: float) -> tuple[pd.DatetimeIndex, np.ndarray]:
    index = pd.date_range("2024-01-01", periods=DAYS * BUCKETS_PER_DAY, freq="15min", tz="UTC")
    hour = np.asarray(index.hour + index.minute / 60)
    daily = 1 + 0.7 * np.sin(2 * np.pi * (hour - 8) / 24)
    weekly = np.where(np.asarray(index.day_of_week) >= 5, 0.6, 1.12)
    shape = daily * weekly
    return index, level * shape / shape.mean()


def score_level(level: int, seed: int = 19) -> LevelScore:
    index, rate = rates(level)
    rng = np.random.default_rng(seed + level)
    clean = rng.poisson(rate, size=(SERIES_PER_LEVEL, len(rate))).astype(float)
    weekdays = [d for d in range(DAYS - 14, DAYS) if pd.Timestamp(index[d * BUCKETS_PER_DAY]).day_of_week < 5]
    starts = np.array([weekdays[i % len(weekdays)] * BUCKETS_PER_DAY + 40 for i in range(SERIES_PER_LEVEL)])
    stopped, doubled = clean.copy(), clean.copy()
    for row, start in enumerate(starts):
        stopped[row, start : start + STOP_BUCKETS] = 0
        doubled[row, start : start + DOUBLING_BUCKETS] += rng.poisson(rate[start : start + DOUBLING_BUCKETS])
    settings = DetectorSettings()
    clean_flags = detect_many(pd.DataFrame(clean.T, index=index), "15m", settings).is_anomaly
    stop_flags = detect_many(pd.DataFrame(stopped.T, index=index), "15m", settings).is_anomaly
    double_flags = detect_many(pd.DataFrame(doubled.T, index=index), "15m", settings).is_anomaly
    stops = sum(bool(stop_flags[row, start : start + FOUND_WITHIN].any()) for row, start in enumerate(starts))
    doublings = sum(bool(double_flags[row, start : start + FOUND_WITHIN].any()) for row, start in enumerate(starts))
    # Verdicts start after 7 days of history: the clean series are judged for the 53 days after.
    judged_months = SERIES_PER_LEVEL * (DAYS - 7) / 30.4
    return LevelScore(level, stops, doublings, int(clean_flags.sum()), judged_months)
