"""`detect_many` scores many series of one grid with the same verdicts, bounds and z as `detect` gives
each series on its own (counts zero-filled, gauges with gaps), including a planted spike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tripl_core.analysis.anomaly import detect, detect_many
from tripl_core.analysis.detector_settings import DetectorSettings


def _frame(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    index = pd.date_range("2024-01-01", periods=96 * 16, freq="15min", tz="UTC")
    rhythm = 1 + 0.5 * np.sin(np.arange(len(index)) * 2 * np.pi / 96)
    frame = pd.DataFrame({f"s{i}": rng.poisson(rng.uniform(20, 300) * rhythm).astype(float) for i in range(70)},
                         index=index)
    frame.iloc[96 * 15 + 40, 3] *= 4  # a spike late enough to be judged
    if kind == "gauge":
        frame.iloc[200:210, 5] = np.nan
    return frame


@pytest.mark.parametrize("kind", ["count", "gauge"])
def test_batch_equals_one_series_at_a_time(kind: str) -> None:
    frame, settings = _frame(kind), DetectorSettings(kind=kind)  # type: ignore[arg-type]
    batch = detect_many(frame, "15m", settings)
    assert batch.value.shape == (70, len(frame))
    for position, name in enumerate(frame.columns):
        one = detect(frame[name], "15m", settings)
        for column in ("value", "expected", "lower", "upper", "z", "is_anomaly"):
            assert np.array_equal(one[column].to_numpy(), getattr(batch, column)[position], equal_nan=True)
        assert list(one["direction"]) == list(batch.direction()[position])
    if kind == "count":
        assert batch.is_anomaly[3, 96 * 15 + 40]
        assert batch.direction()[3, 96 * 15 + 40] == "spike"


def test_batch_needs_the_whole_grid() -> None:
    frame = _frame("count").drop(index=_frame("count").index[10])
    with pytest.raises(ValueError, match="every bucket"):
        detect_many(frame, "15m")
