"""Distribution drift collection (SEMANTICS §5): value counts of each drift field, per event type and
scan-wide, for the last day (current) and the seven days before it (baseline), top values folded in the
warehouse; PSI minus noise per field and scope, written for the window's end."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tripl_core.analysis.distribution_drift import distribution_drift
from tripl_core.db.bulk import insert_rows
from tripl_core.db.engine import Database
from tripl_core.metrics.collection_input import CollectionInput, field_ref, load_input
from tripl_core.metrics.models import DistributionDrift, Scope
from tripl_core.security import SecretBox
from tripl_core.warehouse import ColumnRef, FieldRef, Interval, Warehouse, bucket_start, create_warehouse
from tripl_core.warehouse.metrics import window_folded_counts

CURRENT = timedelta(days=1)
BASELINE = timedelta(days=7)
TOP_VALUES = 20
ROW_LIMIT = 100_000
# Ends read together: a first collection's 28 daily ends in two reads per field, each answering at most
# 2 × 14 windows × (TOP_VALUES + 1) values per event type.
ENDS_PER_READ = 14
OTHER = "Other"

Counts = dict[tuple[str, str, str], dict[str, float]]  # (scope, ref, field) → value → count


def collect_drifts(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *,
                   secrets: SecretBox) -> tuple[int, int]:
    """The distribution drifts of a collected window [time_from, time_to) on their own, at its end and at
    each whole day before it inside the window (a first collection or a catch-up then shows when a field
    drifted, as steady-state runs would have): (drifts written, significant ones). Warehouse reads with
    no app transaction open, then one write transaction."""
    scan, config = load_input(db, scan_config_id, secrets)
    if not scan.drift_fields:
        return 0, 0
    ends = drift_ends(bucket_start(time_from, scan.interval), bucket_start(time_to, scan.interval))
    warehouse = create_warehouse(config)
    try:
        counts = [(end, *pair) for end, pair in zip(ends, read_drift_counts_at(warehouse, scan, ends), strict=True)]
    finally:
        warehouse.close()
    with db.unit_of_work() as session:
        significant = sum(write_drifts(session, scan, end, baseline, current) for end, baseline, current in counts)
    return sum(len(set(baseline) & set(current)) for _, baseline, current in counts), significant


def drift_ends(time_from: datetime, time_to: datetime) -> list[datetime]:
    """`time_to`, then every whole day before it while still after `time_from` (oldest first)."""
    ends, end = [], time_to
    while end > time_from:
        ends.append(end)
        end -= CURRENT
    return ends[::-1] or [time_to]


def read_drift_counts(warehouse: Warehouse, scan: CollectionInput, end: datetime) -> tuple[Counts, Counts]:
    """(baseline, current) value counts per scope and field: current [end − 1 day, end), baseline the seven
    days before it."""
    [counts] = read_drift_counts_at(warehouse, scan, [end])
    return counts


def read_drift_counts_at(warehouse: Warehouse, scan: CollectionInput, ends: Sequence[datetime]
                         ) -> list[tuple[Counts, Counts]]:
    """`read_drift_counts` at each of `ends`, a batch of ends in one read per field. Each window is counted
    on its own edges, not from epoch-aligned day buckets (a window ending at 06:00 would otherwise get six
    night hours as `current`), and folds its own top values; `_fold_alike` then folds both windows of an
    end alike."""
    columns = [c.name for c in warehouse.sample(scan.base_query, 0).columns]
    group_by: list[FieldRef] = [ColumnRef(scan.event_type_column)] if scan.event_type_column else []
    # the scan's buckets (a day at most) hold whole days from any end, which lies on the scan's grid
    grid = scan.interval if scan.interval.seconds <= CURRENT.total_seconds() else Interval.DAY_1
    windows = [_WindowCounts() for _ in range(2 * len(ends))]  # baseline, current of each end
    for field in scan.drift_fields:
        ref = field_ref(field, columns)
        for first in range(0, len(ends), ENDS_PER_READ):
            last = min(first + ENDS_PER_READ, len(ends))
            _read_field(warehouse, scan, grid, group_by, field, ref, list(ends[first:last]),
                        windows[2 * first:2 * last])
    return [_fold_alike(windows[2 * k], windows[2 * k + 1]) for k in range(len(ends))]


def _read_field(warehouse: Warehouse, scan: CollectionInput, grid: Interval, group_by: list[FieldRef], field: str,
                ref: FieldRef, ends: list[datetime], into: list[_WindowCounts]) -> None:
    """One read of `field` at `ends` into their (baseline, current) windows; a read that fills ROW_LIMIT is
    read again in halves, so only a single end's windows can ever be cut short by it."""
    spans = [span for end in ends for span in ((end - CURRENT - BASELINE, end - CURRENT), (end - CURRENT, end))]
    rows = window_folded_counts(warehouse, scan.base_query, scan.time_column, grid, spans, group_by, ref, TOP_VALUES,
                                ROW_LIMIT + (len(ends) > 1))
    if len(rows) > ROW_LIMIT:
        half = len(ends) // 2
        _read_field(warehouse, scan, grid, group_by, field, ref, ends[:half], into[:2 * half])
        _read_field(warehouse, scan, grid, group_by, field, ref, ends[half:], into[2 * half:])
        return
    for row in rows:
        target = into[row.window]
        value = None if row.is_other else (row.value if row.value is not None else "(null)")
        target.add((Scope.project_total.value, str(scan.scan_config_id), field), value, row.count)
        type_id = scan.bound_type[1] if scan.bound_type else scan.types.get(row.groups[0] or "")
        if type_id is not None:
            target.add((Scope.event_type.value, str(type_id), field), value, row.count)


class _WindowCounts:
    """One window's read: per scope and field, the counts of the values it kept and of the ones it folded."""

    def __init__(self) -> None:
        self.kept: Counts = defaultdict(lambda: defaultdict(float))
        self.folded: dict[tuple[str, str, str], float] = defaultdict(float)

    def add(self, key: tuple[str, str, str], value: str | None, count: float) -> None:
        """`value` None: rows folded into Other by the read."""
        if value is None:
            self.folded[key] += count
        else:
            self.kept[key][value] += count

    def keys(self) -> set[tuple[str, str, str]]:
        return set(self.kept) | set(self.folded)

    def knows(self, key: tuple[str, str, str], value: str) -> bool:
        """Whether this window's count of `value` is known: kept, or nothing of the scope was folded (then an
        unlisted value has no rows)."""
        return value in self.kept.get(key, {}) or not self.folded.get(key)


def _fold_alike(baseline: _WindowCounts, current: _WindowCounts) -> tuple[Counts, Counts]:
    """Both windows over one value set: the values whose counts both windows know, every other row as Other
    (a value one window kept and the other folded cannot be told apart from Other on that side)."""
    out: tuple[Counts, Counts] = ({}, {})
    for key in baseline.keys() | current.keys():
        listed = set(baseline.kept.get(key, {})) | set(current.kept.get(key, {}))
        kept = {value for value in listed if baseline.knows(key, value) and current.knows(key, value)}
        for window, target in zip((baseline, current), out, strict=True):
            if key not in window.keys():  # noqa: SIM118 (not a dict)
                continue
            counts = window.kept.get(key, {})
            folded = window.folded.get(key, 0.0) + sum(n for value, n in counts.items() if value not in kept)
            target[key] = {value: n for value, n in counts.items() if value in kept}
            if folded:
                target[key][OTHER] = target[key].get(OTHER, 0.0) + folded
    return out


def write_drifts(session: Session, scan: CollectionInput, end: datetime, baseline: Counts, current: Counts) -> int:
    """Replace the drifts of this window end; returns how many are significant."""
    session.execute(delete(DistributionDrift).where(DistributionDrift.scan_config_id == scan.scan_config_id,
                                                    DistributionDrift.window_end == end))
    rows, significant = [], 0
    for key in sorted(set(baseline) & set(current)):
        scope, ref, field = key
        result = distribution_drift(baseline[key], current[key])
        significant += result.band.value == "significant"
        rows.append({"id": uuid.uuid4(), "project_id": scan.project_id, "scan_config_id": scan.scan_config_id,
                     "scope": scope, "scope_ref": ref,
                     "event_type_id": uuid.UUID(ref) if scope == Scope.event_type.value else None, "field": field,
                     "window_start": end - CURRENT, "window_end": end, "baseline_start": end - CURRENT - BASELINE,
                     "psi": result.psi, "noise": result.noise, "score": result.score, "band": result.band.value,
                     "top_changes": [{"value": v, "baseline_share": b, "current_share": c}
                                     for v, b, c in result.changes[:5]]})
    insert_rows(session, DistributionDrift, rows)
    session.flush()
    return significant
