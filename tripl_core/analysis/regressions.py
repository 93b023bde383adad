"""Release regressions (SEMANTICS §4): events that the newest active release sends far less often than
the previous release's share of them predicts."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeVar

from tripl_core.analysis.versions import release_key

ACTIVE_SHARE = 0.05
ACTIVE_RUN = 2  # consecutive buckets at or above ACTIVE_SHARE
MAX_OVERLAP = timedelta(days=14)
MISSING_RATIO = 0.05
DROP_RATIO = 0.5
MIN_COUNT = 30

Kind = Literal["missing", "volume_drop"]


EventKey = TypeVar("EventKey", bound=Hashable)


@dataclass(frozen=True)
class Regression(Generic[EventKey]):
    event: EventKey
    version: str
    previous_version: str
    kind: Kind
    observed: int
    expected: float
    previous_count: int


@dataclass(frozen=True)
class ReleasePair:
    version: str
    previous_version: str
    start: datetime  # overlap [start, end)
    end: datetime


def active_releases(totals: Mapping[datetime, Mapping[str, int]]) -> list[str]:
    """Releases that held ≥5% of a bucket's traffic in two consecutive buckets, oldest first."""
    runs: dict[str, int] = defaultdict(int)
    active: set[str] = set()
    for bucket in sorted(totals):
        counts = totals[bucket]
        total = sum(counts.values())
        for version in {*runs, *counts}:
            share = counts.get(version, 0) / total if total else 0.0
            runs[version] = runs[version] + 1 if share >= ACTIVE_SHARE else 0
            if runs[version] >= ACTIVE_RUN and release_key(version) is not None:
                active.add(version)
    return sorted(active, key=lambda v: release_key(v) or ())


def release_pair(totals: Mapping[datetime, Mapping[str, int]], step: timedelta) -> ReleasePair | None:
    """The newest active release, the active one before it, and their overlap (≤ 14 days, ending at the
    last bucket where both have traffic)."""
    active = active_releases(totals)
    if len(active) < 2:
        return None
    newest, previous = active[-1], active[-2]
    shared = [b for b, counts in totals.items() if counts.get(newest, 0) > 0 and counts.get(previous, 0) > 0]
    if not shared:
        return None
    end = max(shared) + step
    start = max(min(shared), end - MAX_OVERLAP)
    return ReleasePair(newest, previous, start, end)


def regressions(pair: ReleasePair, totals: Mapping[str, int], per_event: Mapping[EventKey, Mapping[str, int]],
                sigma: float) -> list[Regression[EventKey]]:
    """`totals` and `per_event` are counts per version over the pair's overlap."""
    new_total, prev_total = totals.get(pair.version, 0), totals.get(pair.previous_version, 0)
    if prev_total <= 0:
        return []
    found: list[Regression[EventKey]] = []
    for event, counts in per_event.items():
        previous = counts.get(pair.previous_version, 0)
        observed = counts.get(pair.version, 0)
        expected = previous / prev_total * new_total
        kind = classify(observed, expected, previous, sigma)
        if kind is not None:
            found.append(Regression(event, pair.version, pair.previous_version, kind, observed, expected, previous))
    return sorted(found, key=lambda r: r.observed - r.expected)


def classify(observed: float, expected: float, previous_count: float, sigma: float) -> Kind | None:
    if expected < MIN_COUNT or previous_count < MIN_COUNT:
        return None
    if observed < MISSING_RATIO * expected:
        return "missing"
    if observed <= DROP_RATIO * expected and observed < expected - sigma * math.sqrt(expected):
        return "volume_drop"
    return None


def per_version(rows: Sequence[tuple[datetime, str, int]], start: datetime, end: datetime) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for bucket, version, count in rows:
        if start <= bucket < end:
            out[version] += count
    return dict(out)
