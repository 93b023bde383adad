"""Stored count series: reading them zero-filled inside the collected windows, and scoring them with the
detector (the same code the detection step, the API and the CLI use)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.analysis.anomaly import BatchDetection, detect, detect_many, forecast
from tripl_core.analysis.detector_settings import DetectorSettings
from tripl_core.metrics import store
from tripl_core.metrics.models import MetricDay, MetricWindow
from tripl_core.warehouse import Interval

SeriesKey = tuple[str, str]  # (scope, scope_ref)


def coverage(session: Session, scan_config_id: uuid.UUID) -> tuple[datetime, datetime] | None:
    """The span of the collected windows: missing buckets inside it read as 0."""
    low, high = session.execute(select(func.min(MetricWindow.time_from), func.max(MetricWindow.time_to))
                                .where(MetricWindow.scan_config_id == scan_config_id)).one()
    if low is None or high is None:
        return None
    return _aware(low), _aware(high)


def load_counts(session: Session, scan_config_id: uuid.UUID, keys: Iterable[SeriesKey] | None, start: datetime,
                end: datetime) -> dict[SeriesKey, dict[datetime, int]]:
    """Stored counts per series in [start, end); `keys` None reads every series of the config."""
    where = []
    wanted: set[SeriesKey] | None = None
    if keys is not None:
        wanted = set(keys)
        where = [MetricDay.scope.in_({scope for scope, _ in wanted}),
                 MetricDay.scope_ref.in_({ref for _, ref in wanted})]
    out: dict[SeriesKey, dict[datetime, int]] = defaultdict(dict)
    for key, found in store.read(session, MetricDay, scan_config_id, start, end, *where):
        series_key = (key[0], key[1])
        if found and (wanted is None or series_key in wanted):
            out[series_key].update(found)
    return out


def zero_filled(counts: dict[datetime, int], start: datetime, end: datetime, interval: Interval) -> pd.Series:
    """The series on every bucket of [start, end), 0 where nothing was stored."""
    index = pd.date_range(start, end - interval.delta, freq=interval.delta, tz="UTC") if end > start else \
        pd.DatetimeIndex([], tz="UTC")
    raw = pd.Series({pd.Timestamp(k): v for k, v in counts.items()}, dtype=float)
    if raw.empty:
        return pd.Series(0.0, index=index)
    return raw.reindex(index, fill_value=0.0)


def score(series: pd.Series, interval: Interval, settings: DetectorSettings) -> pd.DataFrame:
    return detect(series, interval.value, settings)


def score_with_forecast(counts: dict[SeriesKey, dict[datetime, int]], keys: list[SeriesKey], start: datetime,
                        end: datetime, interval: Interval,
                        settings: DetectorSettings) -> tuple[BatchDetection, BatchDetection]:
    """Every series of `keys`, zero-filled on [start, end), and the one-bucket forecast (the bucket `end`)
    of each, from one `detect_many` batch over the grid extended by that bucket: the forecast is the
    expectation the detector uses once that bucket arrives, whatever its value, and appending a bucket
    never changes an earlier verdict. Identical to `score` + `next_buckets` of each series
    (tests/metrics/test_metrics_batch_detection.py). Returns (the verdicts on [start, end), the whole batch)."""
    grid = pd.date_range(start, end, freq=interval.delta, tz="UTC")
    values = np.zeros((len(grid), len(keys)))
    # bucket → grid row through one dict of the grid's datetimes: no Timestamp built per stored point
    row_of = {moment: row for row, moment in enumerate(grid[:-1].to_pydatetime())}
    for column, key in enumerate(keys):
        stored = counts.get(key, {})
        if stored:
            rows = np.fromiter((row_of.get(moment, -1) for moment in stored), dtype=np.int64, count=len(stored))
            inside = rows >= 0
            values[rows[inside], column] = np.fromiter(stored.values(), dtype=float, count=len(stored))[inside]
    extended = pd.DataFrame(values, index=grid, columns=pd.RangeIndex(len(keys)))
    ahead = detect_many(extended, interval.value, settings)
    return ahead.first(len(grid) - 1), ahead



def next_buckets(series: pd.Series, interval: Interval, settings: DetectorSettings, horizon: int = 1) -> pd.DataFrame:
    return forecast(series, interval.value, settings, horizon)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
