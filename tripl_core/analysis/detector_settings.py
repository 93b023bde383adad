"""The detector's settings (SEMANTICS §4 defaults), apart from the detector itself so that reading and
validating a project's settings does not load the numerical stack (numpy, pandas, scipy) it runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

SeriesKind: TypeAlias = Literal["count", "gauge"]


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Project anomaly settings (SEMANTICS.md §4 defaults) plus the shape of the series.

    ``kind`` is ``"count"`` for event volumes (zero-filled, never negative, judged by the tails of a
    negative binomial around the expectation, also over sums of the last hour(s) and day, and silent
    stretches as ``silence``) and ``"gauge"`` for measurements (temperatures, latencies, speeds): gauges
    keep gaps as missing, allow negative bounds, get only the relative spread floor, are judged by
    ``(value - expected) / spread`` and by the mean of their last 12 residuals against such means in
    their own history (``sustained``: level shifts and moderate lasting deviations), and are not gated by
    ``min_expected_count``, a volume threshold.
    """

    sigma_threshold: float = 4.0
    min_expected_count: float = 0.0
    """An optional floor: count buckets expected below it get no verdict. Counts are judged by a count
    distribution (``counts``), so low volumes need no gate; 0 judges every bucket with history."""
    baseline_window_buckets: int = 14
    min_history_buckets: int = 7
    kind: SeriesKind = "count"
    relative_spread_floor: float = 0.05
    """Spread is never below this share of the expected value (counts; "a few percent") or of the
    range a gauge usually covers (gauges, whose level may sit at or cross zero)."""

    def __post_init__(self) -> None:
        if not self.sigma_threshold > 0:
            raise ValueError("sigma_threshold must be positive")
        if not self.min_expected_count >= 0:
            raise ValueError("min_expected_count must not be negative")
        if self.baseline_window_buckets < 1:
            raise ValueError("baseline_window_buckets must be at least 1")
        if not 1 <= self.min_history_buckets <= self.baseline_window_buckets:
            raise ValueError("min_history_buckets must be between 1 and baseline_window_buckets")
        if self.kind not in ("count", "gauge"):
            raise ValueError(f"kind must be 'count' or 'gauge', not {self.kind!r}")
        if not 0 <= self.relative_spread_floor < 1:
            raise ValueError("relative_spread_floor must be in [0, 1)")
