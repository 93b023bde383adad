"""The detector's vectorised statistics equal their plain definitions (seasonal.py): the sorting-network
median, bottleneck's moving statistics with pandas' rolling semantics, and per-slot moving statistics."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.seasonal import _by_slot, earlier, moving, shifted, stack_nanmedian


def _with_gaps(rng: np.random.Generator, shape: tuple[int, ...], share: float = 0.3) -> np.ndarray:
    values = rng.poisson(6, shape).astype(float)
    values[rng.random(shape) < share] = np.nan
    return values


def _nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are NaN, as expected
        return np.nanmedian(values, axis=axis)


@pytest.mark.parametrize("size", [1, 2, 3, 6, 7, 9, 14, 16, 17, 30])
def test_stack_median_is_the_nan_median(size: int) -> None:
    rng = np.random.default_rng(size)
    stack = _with_gaps(rng, (size, 5, 40), share=0.4)
    stack[:, 0, :3] = np.nan  # buckets with no value at all
    np.testing.assert_array_equal(stack_nanmedian(stack), _nanmedian(stack, axis=0))


def test_stack_median_keeps_infinite_values_apart_from_missing_ones() -> None:
    stack = np.array([[np.inf], [1.0], [np.nan]])
    assert stack_nanmedian(stack)[0] == np.inf  # median of {1, inf}: (1 + inf) / 2


@pytest.mark.parametrize("statistic", ["median", "sum", "max"])
@pytest.mark.parametrize(("window", "min_periods", "center"),
                         [(1, 1, False), (5, 1, False), (5, 3, False), (9, 1, True), (8, 2, True), (80, 10, False),
                          (80, 70, False)])
def test_moving_matches_pandas_rolling(statistic: str, window: int, min_periods: int, center: bool) -> None:
    rng = np.random.default_rng(window)
    values = _with_gaps(rng, (4, 60))
    values[1, 10:30] = np.nan
    got = moving(values, window, min_periods, statistic, center=center)  # type: ignore[arg-type]
    frame = pd.DataFrame(values.T).rolling(window, min_periods=min_periods, center=center)
    expected = getattr(frame, statistic)().to_numpy().T
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(expected))


def test_earlier_shifts_by_whole_buckets() -> None:
    values = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(earlier(values), [[np.nan, 0, 1], [np.nan, 3, 4]])
    assert np.isnan(earlier(values, by=3)).all()


@pytest.mark.parametrize("statistic", ["median", "sum", "max"])
@pytest.mark.parametrize(("day", "window", "length"), [(4, 3, 30), (4, 14, 30), (1, 5, 12), (96, 14, 96 * 9 + 17)])
def test_by_slot_reads_the_same_slot_of_earlier_days(statistic: str, day: int, window: int, length: int) -> None:
    rng = np.random.default_rng(length)
    values = _with_gaps(rng, (3, length))
    got = _by_slot(values, day, window, statistic)  # type: ignore[arg-type]
    comparables = shifted(values, np.arange(1, window + 1) * day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = {"median": _nanmedian(comparables, 0), "sum": np.nansum(comparables, axis=0),
                 "max": np.nanmax(comparables, axis=0)}[statistic]
    known = np.any(~np.isnan(comparables), axis=0)
    plain = np.where(known, plain, np.nan)  # no comparable at all: unknown, not 0
    np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(plain))
