"""Volume anomaly detection and forecasting (SEMANTICS.md §4), as pure functions over pandas data.

``detect`` scores every bucket of a series against a seasonal baseline built only from earlier buckets
(see ``seasonal``); ``forecast`` applies the same model to the buckets after the series. Both take a
``pandas.Series`` of values indexed by bucket timestamps (UTC; naive timestamps are read as UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from tripl_core.analysis.seasonal import (
    Baseline,
    bucket_floor,
    interval_step,
    seasonal_baseline,
    seasonality,
)

SeriesKind: TypeAlias = Literal["count", "gauge"]
DetectionResult: TypeAlias = pd.DataFrame
"""One row per input point: timestamp, value, expected, lower, upper, z, is_anomaly, direction.

expected/lower/upper/z are NaN where there is no verdict; is_anomaly is then False and direction None.
"""
ForecastResult: TypeAlias = pd.DataFrame
"""One row per future bucket: timestamp, expected, lower, upper (NaN when the history is too short)."""

DETECTION_COLUMNS = ("timestamp", "value", "expected", "lower", "upper", "z", "is_anomaly", "direction")
FORECAST_COLUMNS = ("timestamp", "expected", "lower", "upper")
# Keeps z finite when a gauge has been perfectly constant (spread would otherwise be zero).
_SPREAD_EPSILON = 1e-9
# Blocks of at least this many buckets measure "the worst surprise of a typical day".
_MIN_BLOCK_BUCKETS = 7
# Earlier blocks needed before their typical worst surprise is trusted.
_MIN_TAIL_BLOCKS = 3


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Project anomaly settings (SEMANTICS.md §4 defaults) plus the shape of the series.

    ``kind`` is ``"count"`` for event volumes (zero-filled, Poisson-like, never negative) and
    ``"gauge"`` for measurements (temperatures, latencies, speeds): gauges keep gaps as missing, allow
    negative bounds, get only the relative spread floor, and are not gated by ``min_expected_count``,
    which is a volume threshold.
    """

    sigma_threshold: float = 4.0
    min_expected_count: float = 50.0
    baseline_window_buckets: int = 14
    min_history_buckets: int = 7
    kind: SeriesKind = "count"
    relative_spread_floor: float = 0.05
    """Spread is never below this share of the expected value (counts; "a few percent") or of the
    range a gauge usually covers (gauges, whose level may sit at or cross zero)."""

    def __post_init__(self) -> None:
        if not self.sigma_threshold > 0:
            raise ValueError("sigma_threshold must be positive")
        if self.baseline_window_buckets < 1:
            raise ValueError("baseline_window_buckets must be at least 1")
        if not 1 <= self.min_history_buckets <= self.baseline_window_buckets:
            raise ValueError("min_history_buckets must be between 1 and baseline_window_buckets")
        if self.kind not in ("count", "gauge"):
            raise ValueError(f"kind must be 'count' or 'gauge', not {self.kind!r}")
        if not 0 <= self.relative_spread_floor < 1:
            raise ValueError("relative_spread_floor must be in [0, 1)")


def detect(
    series: pd.Series, interval: str, settings: DetectorSettings | None = None
) -> DetectionResult:
    """Score each point of ``series`` only from the buckets before it.

    The series holds one value per bucket of ``interval`` (15m/1h/6h/1d/1w); timestamps are floored to
    their bucket, and two points in one bucket are refused. Inside the covered range, missing buckets
    of a count series read as 0 and those of a gauge as unknown. Rows come back in input order.
    """
    settings = settings or DetectorSettings()
    buckets = _buckets(series, interval)
    grid = _regular_grid(buckets, series.to_numpy(dtype=float), interval, settings.kind)
    values = grid.to_numpy(dtype=float)
    expected, spread = _model(values, interval, settings)
    scored = _score(values, expected, spread, settings)
    scored.insert(0, "timestamp", grid.index)
    positions = grid.index.get_indexer(buckets)
    return scored.iloc[positions].reset_index(drop=True)


def forecast(
    series: pd.Series,
    interval: str,
    settings: DetectorSettings | None = None,
    horizon: int = 1,
) -> ForecastResult:
    """Expected value and alert band of the ``horizon`` buckets after the series' last bucket.

    The same model as ``detect``: each future bucket is scored as if its value were unknown, so a
    one-bucket forecast equals the expectation ``detect`` will use once that bucket arrives.
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    settings = settings or DetectorSettings()
    buckets = _buckets(series, interval)
    grid = _regular_grid(buckets, series.to_numpy(dtype=float), interval, settings.kind)
    step = interval_step(interval)
    future = pd.date_range(grid.index[-1] + step, periods=horizon, freq=step)
    values = np.concatenate([grid.to_numpy(dtype=float), np.full(horizon, np.nan)])
    expected, spread = _model(values, interval, settings)
    expected, spread = expected[len(grid) :], spread[len(grid) :]
    lower, upper = _band(expected, spread, settings)
    return pd.DataFrame({"timestamp": future, "expected": expected, "lower": lower, "upper": upper})


def _buckets(series: pd.Series, interval: str) -> pd.DatetimeIndex:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError("series must be indexed by timestamps")
    if series.empty:
        raise ValueError("series is empty")
    index = series.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    buckets = bucket_floor(index, interval)
    if buckets.has_duplicates:
        first = buckets[buckets.duplicated()][0]
        raise ValueError(f"more than one value in the {interval} bucket starting {first.isoformat()}")
    return buckets


def _regular_grid(
    buckets: pd.DatetimeIndex, values: np.ndarray, interval: str, kind: SeriesKind
) -> pd.Series:
    step = interval_step(interval)
    full = pd.date_range(buckets.min(), buckets.max(), freq=step)
    grid = pd.Series(values, index=buckets).reindex(full)
    # Counts are zero-filled inside the stored range (SEMANTICS.md §3); a gauge's gap is unknown.
    return grid.fillna(0.0) if kind == "count" else grid


def _model(
    values: np.ndarray, interval: str, settings: DetectorSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Expected value and spread of every bucket (NaN expected where history is too short)."""
    block = max(seasonality(interval).day, _MIN_BLOCK_BUCKETS)
    baseline = seasonal_baseline(
        values,
        seasonality(interval),
        window=settings.baseline_window_buckets,
        min_history=settings.min_history_buckets,
        multiplicative=settings.kind == "count",
    )
    spread = _floored_spread(baseline.expected, baseline, settings)
    # Calibration may already learn from buckets with a partial baseline, so that the spread is
    # realistic by the time verdicts start.
    partial = baseline.comparables >= max(1, settings.min_history_buckets // 2)
    calibrating = np.where(partial, baseline.expected, np.nan)
    inflation = _tail_inflation(values, calibrating, spread, block, settings.baseline_window_buckets)
    has_history = baseline.comparables >= settings.min_history_buckets
    return np.where(has_history, baseline.expected, np.nan), spread * inflation


def _floored_spread(
    expected: np.ndarray, baseline: Baseline, settings: DetectorSettings
) -> np.ndarray:
    if settings.kind == "count":
        # Poisson noise: a count of E varies by about sqrt(E) even when the series looks flat.
        positive = np.clip(expected, 0.0, None)
        floor = np.maximum(settings.relative_spread_floor * positive, np.sqrt(positive))
    else:
        floor = settings.relative_spread_floor * baseline.usual_range
    return np.fmax(np.fmax(baseline.spread, floor), _SPREAD_EPSILON)


def _tail_inflation(
    values: np.ndarray, expected: np.ndarray, spread: np.ndarray, block: int, blocks: int
) -> np.ndarray:
    """Widen the spread of series whose everyday surprises are heavier-tailed than normal noise.

    The spread above describes the bulk of the noise; many real series also have bursts that recur
    at random slots, day after day. For each earlier block (a day, or a week of daily buckets) take
    its largest |standardised residual|; the median of those over the last ``blocks`` blocks, divided
    by what normal noise would give as the median maximum of a block, widens the spread (it never
    narrows it). A median over blocks means an incident confined to a few days cannot mask the next.
    """
    surprise = pd.Series(np.abs(values - expected) / spread)
    per_block = surprise.groupby(np.arange(len(values)) // block).max()
    typical = per_block.rolling(blocks, min_periods=_MIN_TAIL_BLOCKS).median().shift(1)
    ratio = typical.to_numpy(dtype=float)[np.arange(len(values)) // block] / _normal_block_max(block)
    return np.where(np.isfinite(ratio), np.maximum(ratio, 1.0), 1.0)


def _normal_block_max(block: int) -> float:
    """Median of the largest |z| among ``block`` independent standard normal draws."""
    return NormalDist().inv_cdf((1 + 0.5 ** (1 / block)) / 2)


def _band(
    expected: np.ndarray, spread: np.ndarray, settings: DetectorSettings
) -> tuple[np.ndarray, np.ndarray]:
    lower = expected - settings.sigma_threshold * spread
    if settings.kind == "count":
        lower = np.clip(lower, 0.0, None)
    return lower, expected + settings.sigma_threshold * spread


def _score(
    values: np.ndarray, expected: np.ndarray, spread: np.ndarray, settings: DetectorSettings
) -> pd.DataFrame:
    verdict = np.isfinite(values) & np.isfinite(expected)
    expected = np.where(verdict, expected, np.nan)
    lower, upper = _band(expected, spread, settings)
    z = (values - expected) / spread
    big_enough = expected >= settings.min_expected_count if settings.kind == "count" else verdict
    is_anomaly = verdict & big_enough & (np.abs(np.nan_to_num(z)) >= settings.sigma_threshold)
    labels = np.where(z > 0, "spike", "drop").astype(object)
    silent = np.full(len(labels), None, dtype=object)
    direction = pd.Series(np.where(is_anomaly, labels, silent), dtype=object)
    return pd.DataFrame(
        {
            "value": values,
            "expected": expected,
            "lower": lower,
            "upper": upper,
            "z": z,
            "is_anomaly": is_anomaly,
            "direction": direction,
        }
    )
