"""The deterministic events every warehouse is loaded with, and the answers computed from them in Python.

A few days around the Monday 2024-01-08 week boundary, with rows placed exactly on and just before
bucket edges, a low-cardinality category (with NULLs), a JSON properties column with nested keys,
JSON nulls, missing keys and NULL documents.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tripl_core.warehouse.intervals import Interval, bucket_start

START = datetime(2024, 1, 5, tzinfo=UTC)  # a Friday
END = datetime(2024, 1, 11, tzinfo=UTC)
CATEGORIES = ("page_view", "click", "signup", "purchase", "logout", "error")
# Timestamps that sit exactly on, or a microsecond before, boundaries of every interval.
EDGES = (
    datetime(2024, 1, 8, 0, 0, tzinfo=UTC),  # Monday: a week, day, 6h, 1h and 15m boundary
    datetime(2024, 1, 7, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2024, 1, 7, 23, 45, tzinfo=UTC),
    datetime(2024, 1, 7, 23, 44, 59, 999_999, tzinfo=UTC),
    datetime(2024, 1, 8, 6, 0, tzinfo=UTC),
    datetime(2024, 1, 8, 5, 59, 59, tzinfo=UTC),
    datetime(2024, 1, 9, 12, 15, tzinfo=UTC),
    datetime(2024, 1, 10, 23, 59, 59, 999_999, tzinfo=UTC),
)


@dataclass(frozen=True)
class Event:
    id: int
    ts: datetime
    category: str | None
    user_id: str
    properties: str | None


def generate_events(count: int = 1500, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    span = int((END - START).total_seconds())
    moments = [*EDGES, *(START + timedelta(seconds=rng.randrange(span)) for _ in range(count - len(EDGES)))]
    events = []
    for index, moment in enumerate(moments):
        # Skewed weights make the top-N ranking unambiguous.
        category = rng.choices([*CATEGORIES, None], weights=[40, 25, 12, 8, 6, 4, 5])[0]
        events.append(Event(index + 1, moment, category, f"u{rng.randrange(60)}", _properties(rng)))
    return events


def _properties(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    doc: dict[str, Any] = {"page": rng.choice(["/home", "/pricing", "/docs", "/blog"])}
    if roll < 0.6:
        doc["user"] = {"plan": rng.choice(["free", "pro", "team"]), "age": rng.randrange(18, 70)}
    if roll < 0.3:
        doc["user"]["address"] = {"country": rng.choice(["DE", "FR", "US"])}
    if 0.6 <= roll < 0.7:
        doc["referrer"] = None  # a JSON null holds no path
    if 0.7 <= roll < 0.8:
        doc["tags"] = ["a", "b"]  # arrays are leaves
        doc["empty"] = {}  # empty objects hold no path
    if roll >= 0.9:
        doc["flag"] = rng.random() < 0.5
    return json.dumps(doc)


def write_parquet(events: list[Event], folder: Path) -> None:
    """`events.parquet` as one file, `sessions/` as a sub-folder of two files (one table)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "id": pa.array([e.id for e in events], pa.int64()),
            "ts": pa.array([e.ts for e in events], pa.timestamp("us", tz="UTC")),
            "category": pa.array([e.category for e in events], pa.string()),
            "user_id": pa.array([e.user_id for e in events], pa.string()),
            "properties": pa.array([e.properties for e in events], pa.string()),
        }
    )
    pq.write_table(table, folder / "events.parquet")
    (folder / "sessions").mkdir(exist_ok=True)
    for part, ids in enumerate(((1, 2), (3,))):
        pq.write_table(
            pa.table({"session_id": pa.array(list(ids), pa.int64()), "user_id": [f"u{i}" for i in ids]}),
            folder / "sessions" / f"part-{part}.parquet",
        )


POSTGRES_DDL = (
    "CREATE TABLE events (id bigint, ts timestamptz, category text, user_id text, properties text)",
    "CREATE TABLE sessions (session_id bigint, user_id text)",
)


def postgres_rows(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    return [(e.id, e.ts, e.category, e.user_id, e.properties) for e in events]


# -- the expected answers -------------------------------------------------------------------------


def expected_buckets(
    events: list[Event], interval: Interval, start: datetime, end: datetime
) -> dict[datetime, int]:
    return dict(Counter(bucket_start(e.ts, interval) for e in events if start <= e.ts < end))


def expected_grouped(
    events: list[Event], interval: Interval, start: datetime, end: datetime
) -> dict[tuple[datetime, str | None], int]:
    return dict(Counter((bucket_start(e.ts, interval), e.category) for e in events if start <= e.ts < end))


def json_value(doc: str | None, path: tuple[str, ...]) -> str | None:
    value: Any = json.loads(doc) if doc else None
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def expected_top(values: Iterable[str | None], limit: int) -> list[tuple[str | None, int]]:
    counts = Counter(values)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
    top = ranked[:limit]
    rest = sum(count for _, count in ranked[limit:])
    return [*top, ("Other", rest)] if rest else top


def expected_json_keys(events: list[Event]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for event in events:
        if event.properties:
            counts.update(set(_leaf_paths(json.loads(event.properties), "")))
    return dict(counts)


def _leaf_paths(value: Any, prefix: str) -> Iterable[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaf_paths(child, f"{prefix}{key}.")
    elif value is not None and prefix:
        yield prefix.rstrip(".")
