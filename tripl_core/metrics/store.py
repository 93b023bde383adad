"""Stored count series in packed day rows (models._SeriesDay): replacing a collection window's buckets and
reading series back as bucket → count.

A window is written as whole day rows: the days it covers fully are rebuilt from the new counts alone, the
(at most two) days it covers partly keep their buckets outside the window. One delete of the window's days
and one bulk load (tripl_core.db.bulk.load_rows), in the caller's transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import numpy as np
from sqlalchemy import ColumnElement, Select, Table, delete, func, select
from sqlalchemy.orm import Session

from tripl_core.db.bulk import load_rows
from tripl_core.metrics.models import AppVersionDay, BreakdownDay, MetricDay
from tripl_core.metrics.packing import DAY, DAY_SECONDS, day_of, nonzero, pack, points, slots

DayModel = type[MetricDay] | type[BreakdownDay] | type[AppVersionDay]
Key = tuple[Any, ...]
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])

# The columns after (scan_config_id) naming one series of each kind, in key order.
KEYS: dict[Any, tuple[str, ...]] = {
    MetricDay: ("scope", "scope_ref"),
    BreakdownDay: ("scope", "scope_ref", "breakdown_column", "breakdown_value", "is_other"),
    AppVersionDay: ("scope", "scope_ref", "version"),
}


class WindowGrid:
    """The buckets of [start, end) every `step` seconds, and where each lands among the window's day rows."""

    def __init__(self, start: datetime, end: datetime, step: int) -> None:
        self.start, self.end, self.step = start, end, step
        self.size = int((end - start).total_seconds()) // step
        self.first_day = day_of(start)
        self.days = (day_of(end - timedelta(microseconds=1)) - self.first_day).days + 1 if end > start else 0
        self.per_day = slots(step)
        seconds = int((start - self.first_day).total_seconds()) + np.arange(self.size, dtype=np.int64) * step
        # bucket i of the window → its slot in the days × slots block of the window's day rows
        self.flat = seconds // DAY_SECONDS * self.per_day + seconds % DAY_SECONDS // step
        self.delta = timedelta(seconds=step)
        self._row_of: dict[datetime, int] | None = None

    def row_of(self) -> dict[datetime, int]:
        """bucket start → index in the window (one dict, so no arithmetic per counted point)."""
        if self._row_of is None:
            self._row_of = {self.start + i * self.delta: i for i in range(self.size)}
        return self._row_of

    def day(self, index: int) -> datetime:
        return self.first_day + index * DAY

    def partial_days(self) -> list[int]:
        """Day indexes the window covers only partly: their buckets outside it are kept."""
        out = []
        if self.start > self.first_day:
            out.append(0)
        if self.days and self.end < self.day(self.days - 1) + DAY and (self.days - 1) not in out:
            out.append(self.days - 1)
        return out


def replace_window(session: Session, model: DayModel, scan_config_id: uuid.UUID, grid: WindowGrid,
                   series: Mapping[Key, np.ndarray]) -> None:
    """Replace the stored buckets of [grid.start, grid.end) of every series of `model` in the config with
    `series` (key → counts on the grid). Returns nothing: the caller counts its points."""
    keys = KEYS[model]
    block = grid.days * grid.per_day
    kept = _outside_window(session, model, scan_config_id, grid)
    session.execute(delete(model).where(model.scan_config_id == scan_config_id, model.day >= grid.first_day,
                                        model.day < grid.day(grid.days)))
    rows = []
    for key in dict.fromkeys([*series, *kept]):
        values = np.zeros(block, dtype=np.int64)
        for positions, counts in kept.get(key, ()):
            values[positions] = counts
        new = series.get(key)
        if new is not None:
            values[grid.flat] = new
        cube = values.reshape(grid.days, grid.per_day)
        totals = cube.sum(axis=1)
        for index in np.flatnonzero(totals):
            rows.append((scan_config_id, *key, grid.day(int(index)), grid.step, pack(cube[index]),
                         int(totals[index])))
    load_rows(session, cast(Table, model.__table__), ("scan_config_id", *keys, "day", "step", "counts", "total"), rows)


def _outside_window(session: Session, model: DayModel, scan_config_id: uuid.UUID,
                    grid: WindowGrid) -> dict[Key, list[tuple[np.ndarray, np.ndarray]]]:
    """The buckets of the partly covered days that lie outside the window, as (slots in the block, counts)
    per stored row; a bucket that is not on the grid's step (the interval changed since it was written) is
    dropped."""
    kept: dict[Key, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for index in grid.partial_days():
        day = grid.day(index)
        # the window's bounds in seconds from this day's midnight
        window_from, window_to = ((moment - day).total_seconds() for moment in (grid.start, grid.end))
        columns = [getattr(model, name) for name in KEYS[model]]
        for row in session.execute(select(*columns, model.step, model.counts).where(
                model.scan_config_id == scan_config_id, model.day == day)):
            key, step, blob = tuple(row[:-2]), row[-2], row[-1]
            found, counts = nonzero(day, step, blob)
            offsets = found * step
            keep = ((offsets < window_from) | (offsets >= window_to)) & (offsets % grid.step == 0)
            if keep.any():
                kept[key].append((index * grid.per_day + offsets[keep] // grid.step, counts[keep]))
    return kept


def read(session: Session, model: DayModel, scan_config_id: uuid.UUID | ColumnElement[bool], start: datetime | None,
         end: datetime | None, *where: ColumnElement[bool]) -> Iterator[tuple[Key, dict[datetime, int]]]:
    """(series key, its non-zero buckets in [start, end)) per stored day row of the config (or of the configs a
    condition selects) — one key may come in several rows, one per day."""
    columns = [getattr(model, name) for name in KEYS[model]]
    config = model.scan_config_id == scan_config_id if isinstance(scan_config_id, uuid.UUID) else scan_config_id
    query = _days_of(select(*columns, model.day, model.step, model.counts).where(config, *where), model, start, end)
    for row in session.execute(query):
        yield tuple(row[:-3]), points(row[-3], row[-2], row[-1], start, end)


def _days_of(query: _Query, model: DayModel, start: datetime | None, end: datetime | None) -> _Query:
    """`query` narrowed to the day rows that may hold buckets of [start, end)."""
    if start is not None:
        query = query.where(model.day >= day_of(start))
    if end is not None:
        query = query.where(model.day < end)
    return query


def series(session: Session, model: DayModel, scan_config_id: uuid.UUID, start: datetime | None,
           end: datetime | None, *where: ColumnElement[bool]) -> dict[Key, dict[datetime, int]]:
    """Every matching series as key → {bucket: count} on [start, end)."""
    out: dict[Key, dict[datetime, int]] = defaultdict(dict)
    for key, found in read(session, model, scan_config_id, start, end, *where):
        out[key].update(found)
    return out


def count_points(session: Session, model: DayModel, scan_config_id: uuid.UUID, start: datetime | None = None,
                 end: datetime | None = None) -> int:
    """Non-zero buckets stored in [start, end): what a collection reports as points written."""
    query = _days_of(select(model.day, model.step, model.counts).where(model.scan_config_id == scan_config_id),
                     model, start, end)
    return sum(len(nonzero(day, step, blob, start, end)[0]) for day, step, blob in session.execute(query))


def last_bucket(session: Session, model: DayModel, scan_config_id: uuid.UUID) -> tuple[datetime | None, list[Key]]:
    """The latest non-zero bucket of any series of the config and the keys counted in it."""
    day = session.scalar(select(func.max(model.day)).where(model.scan_config_id == scan_config_id))
    if day is None:
        return None, []
    latest: dict[Key, int] = {}
    for key, found in read(session, model, scan_config_id, day, day + DAY):
        if found:
            latest[key] = max(latest.get(key, -1), _slot_max(found, day))
    if not latest:
        return None, []
    top = max(latest.values())
    bucket = day + timedelta(seconds=top)
    return bucket, [key for key, at in latest.items() if at == top]


def _slot_max(found: dict[datetime, int], day: datetime) -> int:
    return int(max((bucket - day).total_seconds() for bucket in found))

