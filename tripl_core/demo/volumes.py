"""The demo warehouse's 15-minute volume series per scope, as a metrics collection sums them: rows per
15-minute UTC bucket and event, zero-filled over the generated span, summed per event type and for the
project total. What the detector's benchmark and the demo's detection tests score.

The rows are counted from the demo's Parquet files directly rather than through a chDB engine (whose start
costs seconds per folder): the sums are the same as the warehouse's `bucket_counts`, which
tests/demo/test_demo_warehouse.py checks on one demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from tripl_core.demo.cases import DemoCases

Scope = tuple[str, str]  # ("event", name), ("event_type", type) or ("total", "")
BUCKET = "15min"


def event_counts(folder: Path, cases: DemoCases) -> pd.DataFrame:
    """Rows per 15-minute bucket (index, the whole span) and event name (columns)."""
    table = folder / f"{cases.table}.parquet"
    source = table if table.is_file() else folder / cases.table  # one file, or a folder of parts
    rows = ds.dataset(source, format="parquet").to_table(columns=[cases.time_column, "event_name"]).to_pandas()
    moments = rows[cases.time_column]
    rows = rows[(moments >= cases.start) & (moments < cases.end)]
    counts = rows.groupby([rows[cases.time_column].dt.floor(BUCKET), "event_name"]).size().unstack(fill_value=0)
    grid = pd.date_range(cases.start, cases.end, freq=BUCKET, inclusive="left")
    return counts.reindex(grid, fill_value=0).astype(float)


def volume_series(folder: Path, cases: DemoCases) -> dict[Scope, pd.Series]:
    counts = event_counts(folder, cases)
    type_of = {name: event_type for event_type, name in cases.events}
    series: dict[Scope, pd.Series] = {("event", str(name)): counts[name] for name in counts.columns}
    for event_type, columns in counts.T.groupby(lambda name: type_of[name]):
        series[("event_type", str(event_type))] = columns.sum()
    series[("total", "")] = counts.sum(axis=1)
    return series
