"""The demo warehouse's 15-minute volume series per scope, as a metrics collection sums them: each event,
each event type and the project total, zero-filled over the generated span. What the detector's
benchmark and the demo's detection tests score."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tripl_core.demo.cases import DemoCases
from tripl_core.warehouse import ColumnRef, Interval, WarehouseConfig, create_warehouse

Scope = tuple[str, str]  # ("event", name), ("event_type", type) or ("total", "")


def volume_series(folder: Path, cases: DemoCases) -> dict[Scope, pd.Series]:
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder), timeout_seconds=120))
    try:
        points = warehouse.bucket_counts(f"SELECT * FROM {cases.table}", cases.time_column, Interval.MIN_15,
                                         cases.start, cases.end, [ColumnRef("event_name")])
    finally:
        warehouse.close()
    frame = pd.DataFrame([(p.bucket, p.groups[0], p.count) for p in points], columns=["bucket", "event", "n"])
    grid = pd.date_range(cases.start, cases.end, freq="15min", inclusive="left")
    counts = frame.pivot_table(index="bucket", columns="event", values="n", aggfunc="sum")
    counts = counts.reindex(grid, fill_value=0).fillna(0.0).astype(float)
    type_of = {name: event_type for event_type, name in cases.events}
    series: dict[Scope, pd.Series] = {("event", str(name)): counts[name] for name in counts.columns}
    for event_type, columns in counts.T.groupby(lambda name: type_of[name]):
        series[("event_type", str(event_type))] = columns.sum()
    series[("total", "")] = counts.sum(axis=1)
    return series
