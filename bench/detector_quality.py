"""Detection quality of tripl's anomaly detector on labelled NAB series (window-level scoring).

Usage: python bench/detector_quality.py [DATA_DIR] [--per-file] [--no-demo] [--all-demo-dates]
       [--no-low-volume] [--no-bursty] [--speed-series N]

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
is an extra signal. The planted silence is found when its event's first flag from its start is a
``silence`` within 2 hours; the dead event (stopped four days into the range) may flag one silence once it
has history. ``--all-demo-dates`` scores the 36 "now" moments of the earlier sample instead of three.

The low-volume part generates synthetic counts (bench/low_volume.py): 100 series per level, 60 days of
15-minute buckets with daily and weekly rhythm; a 2-hour full stop and a 3-hour doubling must be found
within 2 hours; flags on the clean series count per series-month. The bursty part is
bench/bursty_counts.py (bursty, overdispersed 15-minute counts with planted burst, stop, drop and step,
scored with the README's window rules), seed 19. The speed part scores N series (default
10,000) x 14 days of 15-minute buckets with ``detect_many`` and reports wall and CPU seconds (the machine is
shared; CPU seconds are what the detector costs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench import bursty_counts  # noqa: E402
from bench.low_volume import LEVELS, score_level  # noqa: E402
from tripl_core.analysis.anomaly import detect, detect_many  # noqa: E402
from tripl_core.analysis.detector_settings import DetectorSettings, SeriesKind  # noqa: E402
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
# The earlier sample of 36 "now" moments: 24 spaced 15 days 7 h 13 min apart from 2026-01-05 00:20, 10
# spaced 37 days 7 h 13 min apart, and the three above.
ALL_DEMO_ENDS = (
    tuple(datetime(2026, 1, 5, 0, 20, tzinfo=UTC) + i * timedelta(days=15, hours=7, minutes=13) for i in range(24))
    + tuple(datetime(2026, 1, 5, 0, 20, tzinfo=UTC) + i * timedelta(days=37, hours=7, minutes=13)
            for i in range(1, 11))
    + DEMO_ENDS
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
    """(planted volume cases, found, extra signals described) for the demo generated up to ``end``."""
    with tempfile.TemporaryDirectory() as folder:
        cases = generate_demo_warehouse(Path(folder), end=end)
        series = volume_series(Path(folder), cases)
    anomalies = (cases.spike, cases.drop)
    planted = {(a.event_name, pd.Timestamp(a.start)): a.direction for a in anomalies}
    type_of = {name: event_type for event_type, name in cases.events}
    silent = cases.silence
    spans = [(a.event_name, a.start, a.end) for a in anomalies] + [(silent.event_name, silent.start, silent.end)]
    # The planted event's type and the project total may fire on any bucket of the planted span.
    co_firing = {(scope, moment) for name, start, stop in spans
                 for scope in (("event_type", type_of[name]), ("total", ""))
                 for moment in pd.date_range(start, stop, freq="15min", inclusive="left")}
    found, extra, silence_flags = 0, [], []
    for (scope, ref), values in series.items():
        result = detect(values, "15m", DetectorSettings())
        for row in result[result["is_anomaly"]].itertuples():
            moment = pd.Timestamp(row.timestamp)
            if scope == "event" and ref == silent.event_name:
                silence_flags.append((moment.to_pydatetime(), row.direction))
            elif scope == "event" and ref == cases.dead_event.event_name and row.direction == "silence":
                continue  # the dead event stopped four days in: a silence once it has history
            elif scope == "event" and planted.get((ref, moment)) == row.direction:
                found += 1
            elif ((scope, ref), moment) not in co_firing:
                extra.append(f"{scope} {ref} {moment:%Y-%m-%d %H:%M} {row.direction} (z {row.z:.2f})")
    if silent.found_by(silence_flags):
        found += 1
        extra += [f"event {silent.event_name} {m:%Y-%m-%d %H:%M} {d}" for m, d in silence_flags[1:]]
    else:
        extra += [f"event {silent.event_name} {m:%Y-%m-%d %H:%M} {d}" for m, d in silence_flags]
    return len(planted) + 1, found, extra


def low_volume_rows() -> list[str]:
    rows = ["| level (events per 15 min, weekly mean) | 2 h stop found within 2 h | 3 h doubling found within 2 h "
            "| false signals on clean series | per series-month |", "|---:|---:|---:|---:|---:|"]
    for level in LEVELS:
        s = score_level(level)
        rows.append(f"| {level} | {s.stops_found}/100 | {s.doublings_found}/100 | {s.false_signals_clean} "
                    f"| {s.false_signals_clean / s.series_months_clean:.3f} |")
    return rows


def speed(series_count: int) -> str:
    index = pd.date_range("2024-01-01", periods=14 * 96, freq="15min", tz="UTC")
    rng = np.random.default_rng(0)
    hour = np.asarray(index.hour + index.minute / 60)
    rate = rng.uniform(1, 200, series_count)[None, :] * (1 + 0.6 * np.sin(2 * np.pi * hour / 24))[:, None]
    frame = pd.DataFrame(rng.poisson(rate).astype(float), index=index)
    wall, cpu = time.perf_counter(), time.process_time()
    detect_many(frame, "15m", DetectorSettings())
    return (f"detect_many: {series_count:,} series x 14 days of 15-minute buckets in "
            f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-file", action="store_true", help="also print one row per series")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo's planted anomalies")
    parser.add_argument("--all-demo-dates", action="store_true", help="the 36 demo dates of the earlier sample")
    parser.add_argument("--no-low-volume", action="store_true", help="skip the synthetic low-volume counts")
    parser.add_argument("--no-bursty", action="store_true", help="skip the synthetic bursty counts")
    parser.add_argument("--speed-series", type=int, default=10_000, help="series for the speed run (0: skip)")
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
        print("\n| demo generated up to | planted volume cases | found | other signals on volume series |")
        print("|---|---:|---:|---|")
        for end in ALL_DEMO_ENDS if args.all_demo_dates else DEMO_ENDS:
            planted, found, extra = score_demo(end)
            print(f"| {end:%Y-%m-%d %H:%M} ({end:%a}) | {planted} | {found} | {len(extra)} {'; '.join(extra)} |",
                  flush=True)

    if not args.no_low_volume:
        print("", *low_volume_rows(), sep="\n", flush=True)

    if not args.no_bursty:
        print("", *bursty_counts.report(detail=True), sep="\n", flush=True)

    if args.speed_series:
        print("\n" + speed(args.speed_series))

    points = sum(s.points for s in scores)
    seconds = sum(s.seconds for s in scores)
    per_thousand_ms = 1e6 * seconds / points
    print(f"\ndetect(): {points} buckets in {seconds:.3f} s, {per_thousand_ms:.2f} ms per 1,000 buckets")


if __name__ == "__main__":
    main()
