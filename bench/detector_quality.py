"""Detection quality of tripl's anomaly detector on labelled NAB series (window-level scoring).

Usage: python bench/detector_quality.py [DATA_DIR] [--per-file] [--no-demo]

DATA_DIR (default ../shared/data/nab-dev relative to the repository root) holds ``windows.json`` and
``data/<group>/<file>.csv``. Scoring follows its README: skip the first 15% of each series (at most 750
points); a window is hit when a flagged bucket lies inside it; every flagged bucket outside all windows
is a false positive; precision = hits / (hits + false positives), recall = hits / windows.

Each series is resampled to the smallest tripl interval at least as long as its sampling step (15m for
5- and 10-minute data, 1h for 30-minute and hourly data): counts are summed, gauges averaged. The
detector runs with the SEMANTICS.md defaults (sigma 4, 14 comparable buckets, 7 of history); the
min_expected_count volume gate applies to counts only. NAB does not say which series are counts: the
passenger and tweet series are, the rest are measurements.

The demo part generates the demo warehouse (SEMANTICS.md §10) for a few end moments (weekday and hour
vary, as "now" does), reads every event's 15-minute volume through the chDB adapter, sums them into
event-type and project-total series as collection does, and runs the detector with the project defaults
over each: a planted spike or drop is found when its scope flags its first bucket; every other flagged
bucket (except co-firing flags of the planted event's type and the project total at the planted moment)
is an extra signal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tripl_core.analysis.anomaly import DetectorSettings, SeriesKind, detect  # noqa: E402
from tripl_core.analysis.seasonal import INTERVALS  # noqa: E402
from tripl_core.demo import generate_demo_warehouse  # noqa: E402
from tripl_core.demo.volumes import volume_series  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "nab-dev"
# Series whose values are numbers of things per sampling step, so buckets sum (NAB naming).
COUNT_SERIES = ("nyc_taxi", "realTweets/")
PROBATION_SHARE = 0.15
PROBATION_MAX_POINTS = 750
# "Now" for the demo runs: different weekdays and times of day.
DEMO_ENDS = (
    datetime(2024, 3, 20, 10, 37, tzinfo=UTC),
    datetime(2025, 6, 1, 23, 5, tzinfo=UTC),
    datetime(2026, 11, 25, 6, 10, tzinfo=UTC),
)


@dataclass(frozen=True, slots=True)
class FileScore:
    name: str
    interval: str
    kind: SeriesKind
    points: int
    windows: int
    hits: int
    false_positives: int
    seconds: float


def series_kind(name: str) -> SeriesKind:
    return "count" if any(marker in name for marker in COUNT_SERIES) else "gauge"


def detection_interval(timestamps: pd.Series) -> str:
    step = timestamps.diff().median()
    for interval, length in INTERVALS.items():
        if length >= step:
            return interval
    return "1w"


def resample(raw: pd.DataFrame, interval: str, kind: SeriesKind) -> pd.Series:
    series = raw.set_index("timestamp")["value"].astype(float)
    grouped = series.resample(INTERVALS[interval], origin="epoch")
    return grouped.sum() if kind == "count" else grouped.mean().dropna()


def score_file(data_dir: Path, name: str, windows: list[list[str]]) -> FileScore:
    raw = pd.read_csv(data_dir / "data" / name)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True)
    kind = series_kind(name)
    interval = detection_interval(raw["timestamp"])
    series = resample(raw, interval, kind)
    started = time.perf_counter()
    result = detect(series, interval, DetectorSettings(kind=kind))
    seconds = time.perf_counter() - started

    probation_end = raw["timestamp"].iloc[min(int(PROBATION_SHARE * len(raw)), PROBATION_MAX_POINTS)]
    flagged = result.loc[result["is_anomaly"], "timestamp"]
    flagged = flagged[flagged >= probation_end]
    spans = [(pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")) for start, end in windows]
    step = INTERVALS[interval]
    # A bucket is inside a window when the time it covers overlaps the window.
    inside = [(flagged <= end) & (flagged + step > start) for start, end in spans]
    hits = sum(bool(mask.any()) for mask in inside)
    outside = ~pd.concat(inside, axis=1).any(axis=1) if inside else pd.Series(True, index=flagged.index)
    return FileScore(name, interval, kind, len(series), len(spans), hits, int(outside.sum()), seconds)


def f1_row(label: str, scores: list[FileScore]) -> str:
    windows = sum(s.windows for s in scores)
    hits = sum(s.hits for s in scores)
    false_positives = sum(s.false_positives for s in scores)
    recall = hits / windows if windows else 0.0
    precision = hits / (hits + false_positives) if hits + false_positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (
        f"| {label} | {len(scores)} | {windows} | {hits} | {false_positives} "
        f"| {precision:.2f} | {recall:.2f} | {f1:.2f} |"
    )


def score_demo(end: datetime) -> tuple[int, int, list[str]]:
    """(planted anomalies, found, extra signals described) for the demo generated up to ``end``."""
    with tempfile.TemporaryDirectory() as folder:
        cases = generate_demo_warehouse(Path(folder), end=end)
        series = volume_series(Path(folder), cases)
    anomalies = (cases.spike, cases.drop)
    planted = {(a.event_name, pd.Timestamp(a.start)): a.direction for a in anomalies}
    type_of = {name: event_type for event_type, name in cases.events}
    # The planted event's type and the project total may fire on any bucket of the planted span.
    co_firing = {(scope, moment) for a in anomalies
                 for scope in (("event_type", type_of[a.event_name]), ("total", ""))
                 for moment in pd.date_range(a.start, a.end, freq="15min", inclusive="left")}
    found, extra = 0, []
    for (scope, ref), values in series.items():
        result = detect(values, "15m", DetectorSettings())
        for row in result[result["is_anomaly"]].itertuples():
            moment = pd.Timestamp(row.timestamp)
            if scope == "event" and planted.get((ref, moment)) == row.direction:
                found += 1
            elif ((scope, ref), moment) not in co_firing:
                extra.append(f"{scope} {ref} {moment:%Y-%m-%d %H:%M} {row.direction}")
    return len(planted), found, extra


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-file", action="store_true", help="also print one row per series")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo's planted anomalies")
    args = parser.parse_args(argv)

    labels: dict[str, list[list[str]]] = json.loads((args.data_dir / "windows.json").read_text())
    scores = [score_file(args.data_dir, name, windows) for name, windows in sorted(labels.items())]

    header = "| {} | series | windows | hit | false positives | precision | recall | F1 |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    print(header.format("group"), rule, sep="\n")
    groups = sorted({s.name.split("/")[0] for s in scores})
    for group in groups:
        print(f1_row(group, [s for s in scores if s.name.startswith(group + "/")]))
    print(f1_row("**all**", scores))

    if args.per_file:
        print("\n" + header.format("series (interval, kind)"), rule, sep="\n")
        for s in scores:
            print(f1_row(f"{s.name} ({s.interval}, {s.kind})", [s]))

    if not args.no_demo:
        print("\n| demo generated up to | planted volume anomalies | found | other signals on volume series |")
        print("|---|---:|---:|---|")
        for end in DEMO_ENDS:
            planted, found, extra = score_demo(end)
            print(f"| {end:%Y-%m-%d %H:%M} ({end:%a}) | {planted} | {found} | {len(extra)} {'; '.join(extra)} |")

    points = sum(s.points for s in scores)
    seconds = sum(s.seconds for s in scores)
    per_thousand_ms = 1e6 * seconds / points
    print(f"\ndetect(): {points} buckets in {seconds:.3f} s, {per_thousand_ms:.2f} ms per 1,000 buckets")


if __name__ == "__main__":
    main()
