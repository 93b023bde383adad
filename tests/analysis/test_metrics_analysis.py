"""Pure metrics analysis: SemVer releases, distribution drift (PSI minus noise, bands), release
regressions (active releases, missing and volume_drop verdicts)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tripl_core.analysis import distribution_drift, regressions, versions

T0 = datetime(2024, 3, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_versions_sort_numerically_and_skip_pre_releases() -> None:
    seen = ["1.9.0", "1.10.0", "2.0.0-beta.1", "1.2", "junk", None, "v1.10.1", "1.8.5"]
    assert versions.newest_releases(seen, 3) == ["v1.10.1", "1.10.0", "1.9.0"]
    assert versions.release_key("2.0.0-rc.1") is None
    assert versions.release_key("1.2") == versions.release_key("1.2.0")
    assert versions.by_release(["1.10.0", "Other", "1.9.0"]) == ["Other", "1.9.0", "1.10.0"]


def _sample(shares: dict[str, float], n: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    return Counter(rng.choices(list(shares), weights=list(shares.values()), k=n))


def test_same_distribution_is_stable_and_small_samples_never_significant() -> None:
    shares = {f"v{i}": 1 / (i + 1) for i in range(12)}
    for seed in range(20):
        result = distribution_drift.distribution_drift(_sample(shares, 2000, seed), _sample(shares, 500, seed + 100))
        assert result.band is distribution_drift.DriftBand.stable, result
        small = distribution_drift.distribution_drift(_sample(shares, 300, seed), _sample(shares, 60, seed + 100))
        assert small.band is not distribution_drift.DriftBand.significant, small
        # the raw PSI of a tiny sample is mostly noise; the noise term takes most of it away
        assert small.noise > 0.5 * small.psi


def test_shifted_distribution_is_significant_and_names_the_moved_value() -> None:
    base = _sample({"ios": 0.5, "android": 0.4, "web": 0.1}, 20_000, 1)
    cur = _sample({"ios": 0.2, "android": 0.4, "web": 0.4}, 5_000, 2)
    result = distribution_drift.distribution_drift(base, cur)
    assert result.band is distribution_drift.DriftBand.significant
    assert result.changes[0][0] in {"ios", "web"}
    assert result.score == pytest.approx(result.psi - result.noise)


def test_bands_edges() -> None:
    assert distribution_drift.band(0.0999) is distribution_drift.DriftBand.stable
    assert distribution_drift.band(0.10) is distribution_drift.DriftBand.minor
    assert distribution_drift.band(0.25) is distribution_drift.DriftBand.significant


def test_a_value_appearing_from_nothing_has_finite_psi() -> None:
    result = distribution_drift.distribution_drift({"a": 1000}, {"a": 500, "b": 500})
    assert result.band is distribution_drift.DriftBand.significant


def _totals(plan: list[dict[str, int]]) -> dict[datetime, dict[str, int]]:
    return {T0 + i * HOUR: counts for i, counts in enumerate(plan)}


def test_a_release_is_active_after_two_buckets_at_five_percent() -> None:
    totals = _totals([{"1.0.0": 100, "1.1.0": 6}, {"1.0.0": 100, "1.1.0": 1}, {"1.0.0": 100, "1.1.0": 6}])
    assert regressions.active_releases(totals) == ["1.0.0"]
    totals[T0 + 3 * HOUR] = {"1.0.0": 100, "1.1.0": 6}
    assert regressions.active_releases(totals) == ["1.0.0", "1.1.0"]


def test_missing_and_volume_drop_and_quiet_events() -> None:
    totals = _totals([{"1.0.0": 1000, "1.1.0": 1000}] * 3)
    pair = regressions.release_pair(totals, HOUR)
    assert pair is not None
    assert (pair.version, pair.previous_version) == ("1.1.0", "1.0.0")
    assert (pair.start, pair.end) == (T0, T0 + 3 * HOUR)
    per_event = {
        "gone": {"1.0.0": 400, "1.1.0": 3},       # expected 400: missing
        "halved": {"1.0.0": 400, "1.1.0": 150},   # ≤ 50% and below 400 − 4·20: volume_drop
        "steady": {"1.0.0": 400, "1.1.0": 390},
        "rare": {"1.0.0": 20, "1.1.0": 0},        # previous count below 30: no verdict
    }
    found = {r.event: r for r in regressions.regressions(pair, {"1.0.0": 3000, "1.1.0": 3000}, per_event, 4.0)}
    assert set(found) == {"gone", "halved"}
    assert found["gone"].kind == "missing"
    assert found["halved"].kind == "volume_drop"
    assert found["gone"].expected == pytest.approx(400)


def test_no_pair_without_two_active_releases() -> None:
    assert regressions.release_pair(_totals([{"1.0.0": 10}] * 5), HOUR) is None
