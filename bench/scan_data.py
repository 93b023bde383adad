"""Generate the scan/metrics benchmark warehouse (issue 5): a chDB folder with an `events/` table.

    python bench/scan_data.py OUT_DIR [--events 10000000] [--days 30] [--seed 11]

50 event names in 5 types, a JSON `properties` column with 8 top-level keys (one nested), `platform`
and `app_version` columns, the demo's daily/weekly rhythm and release adoption. Written one day per
Parquet part so memory stays bounded by a day's rows, not the table's.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from tripl_core.demo.synth import (
    BUCKETS_PER_DAY,
    ByEvent,
    Choice,
    EventSpec,
    EventTypeSpec,
    Nested,
    Number,
    ReleaseSpec,
    Sometimes,
    TableBuilder,
    make_population,
    volume_model,
    write_parts,
)

TYPES = ("screen_view", "click", "purchase", "auth", "system")
NAMES_PER_TYPE = 10
# A fixed end keeps the files identical from run to run; the scan benchmark reads whatever range it holds.
END = datetime(2025, 1, 1, tzinfo=UTC)
USERS = 400_000


def catalog() -> tuple[EventTypeSpec, ...]:
    """5 types x 10 names with Zipf-like traffic shares; every row's JSON has up to 8 keys."""
    rank_weights = 1 / np.arange(1, len(TYPES) * NAMES_PER_TYPE + 1) ** 0.8
    types = []
    for type_index, type_name in enumerate(TYPES):
        names = [f"{type_name}_{index:02d}" for index in range(NAMES_PER_TYPE)]
        weights = rank_weights[type_index :: len(TYPES)]
        properties = (
            ByEvent("screen", {name: f"screen_{index % 7}" for index, name in enumerate(names)}),
            Choice("button", ("primary", "secondary", "link", "icon", "menu")),
            Number("price", 0.99, 299.0, decimals=2, log=True),
            Choice("currency", ("USD", "EUR", "GBP", "JPY", "BRL"), (0.5, 0.25, 0.12, 0.08, 0.05)),
            Nested("ab", (Choice("variant", ("control", "treatment")),)),
            Number("position", 1, 20),
            Choice("network", ("wifi", "cellular", "offline"), (0.62, 0.36, 0.02)),
            Sometimes(Choice("referrer", ("organic", "push", "deeplink", "search")), share=0.6),
        )
        events = tuple(EventSpec(name, float(weight)) for name, weight in zip(names, weights, strict=True))
        types.append(EventTypeSpec(type_name, events, properties))
    return tuple(types)


def releases(start: datetime, days: int) -> tuple[ReleaseSpec, ...]:
    """Five releases spread over the range, so the app-version series have real adoption curves."""
    step = timedelta(days=days / 6)
    return tuple(ReleaseSpec(f"5.{minor}.0", start + (minor + 1) * step) for minor in range(5))


def generate(out_dir: Path, events: int, days: int, seed: int) -> int:
    start = END - timedelta(days=days)
    types = catalog()
    model = volume_model(np.random.default_rng([seed, 2]), types, start, days, events / days)
    population = make_population(np.random.default_rng([seed, 3]), USERS)
    builder = TableBuilder(model, types, releases(start, days), "4.9.0", population)
    target = out_dir / "events"
    if target.exists():
        shutil.rmtree(target)
    return write_parts(builder.chunks(BUCKETS_PER_DAY, seed), target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--events", type=int, default=10_000_000, help="expected row count (Poisson)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate(args.out_dir, args.events, args.days, args.seed)
    size = sum(path.stat().st_size for path in (args.out_dir / "events").glob("*.parquet"))
    report = {
        "rows": rows,
        "days": args.days,
        "seconds": round(time.perf_counter() - started, 2),
        "bytes": size,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "path": str(args.out_dir / "events"),
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
