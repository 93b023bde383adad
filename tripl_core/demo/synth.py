"""Vectorised building blocks for synthetic event tables (the demo warehouse and the scan benchmark).

Volumes are modelled per 15-minute bucket and event, then expanded into rows: a bucket's count is a
Poisson draw around ``rate × daily rhythm × weekly rhythm × trend × smooth noise × planted factor``, so
apart from what is planted on purpose every series is a clean seasonal count series. Row attributes
(users, platforms, app versions, JSON properties) are drawn per row with numpy and assembled with
pyarrow compute kernels; nothing loops over rows in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BUCKET = timedelta(minutes=15)
BUCKET_US = 15 * 60 * 1_000_000
BUCKETS_PER_DAY = 96
_DAY_US = 86_400 * 1_000_000
# 1970-01-05 was a Monday: weekday arithmetic on epoch microseconds is anchored there.
_MONDAY_US = 4 * _DAY_US

JsonScalar = str | int | float | bool | None


# -- event catalog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A JSON key whose value is drawn from ``values`` (optionally weighted; ``shift`` re-weights the
    draw for rows at or after its moment, which is how a distribution drift is planted)."""

    key: str
    values: tuple[JsonScalar, ...]
    weights: tuple[float, ...] | None = None
    shift: tuple[datetime, tuple[float, ...]] | None = None


@dataclass(frozen=True)
class Number:
    """A numeric JSON key, uniform on [low, high] (log-uniform with ``log``), rounded to ``decimals``."""

    key: str
    low: float
    high: float
    decimals: int = 0
    log: bool = False


@dataclass(frozen=True)
class ByEvent:
    """A JSON key whose value follows from the event name (e.g. the screen of a screen view)."""

    key: str
    values: Mapping[str, JsonScalar]


@dataclass(frozen=True)
class Nested:
    """A JSON object under ``key`` built from child keys."""

    key: str
    children: tuple[KeySpec, ...]


@dataclass(frozen=True)
class Sometimes:
    """``spec`` present on a share of rows only, and only from ``since`` on (a key that starts appearing)."""

    spec: KeySpec
    share: float = 1.0
    since: datetime | None = None


KeySpec = Choice | Number | ByEvent | Nested | Sometimes


@dataclass(frozen=True)
class EventSpec:
    name: str
    weight: float
    """Share of all traffic (weights need not sum to 1; the catalog normalises them)."""
    active_until: datetime | None = None
    """No rows from this moment on (an event that stopped being sent)."""


@dataclass(frozen=True)
class EventTypeSpec:
    name: str
    events: tuple[EventSpec, ...]
    properties: tuple[KeySpec, ...]


# -- releases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseSpec:
    """An app release. Users move to it ``lag`` after ``released_at`` (each user has their own update
    lag, so adoption follows the lag distribution); a phased rollout only offers it to a growing share
    of users (``phases``: from each moment, that share); a pre-release reaches beta testers only."""

    version: str
    released_at: datetime
    phases: tuple[tuple[datetime, float], ...] = ()
    prerelease: bool = False
    missing_events: frozenset[str] = frozenset()
    """Event names this build never sends."""


@dataclass(frozen=True)
class Population:
    """Per-user attributes; rows pick users with a skewed activity distribution."""

    user_ids: pa.Array
    platform: np.ndarray
    country: np.ndarray
    update_lag_us: np.ndarray
    rollout_rank: np.ndarray
    beta: np.ndarray


PLATFORMS = ("ios", "android", "web")
PLATFORM_WEIGHTS = (0.44, 0.41, 0.15)
COUNTRIES = ("US", "DE", "GB", "FR", "BR", "IN", "JP", "ES", "CA", "NL")
COUNTRY_WEIGHTS = (0.30, 0.12, 0.10, 0.08, 0.09, 0.11, 0.06, 0.05, 0.05, 0.04)
# Most users take a release within a couple of days; a tail updates weeks later.
_EAGER_SHARE = 0.7
_EAGER_LAG_DAYS = 1.5
_LAGGARD_LAG_DAYS = 12.0
_BETA_SHARE = 0.005
# Activity skew: user index = pool × u^k, so a few heavy users send much of the traffic.
_ACTIVITY_SKEW = 3.0


def make_population(rng: np.random.Generator, size: int) -> Population:
    eager = rng.random(size) < _EAGER_SHARE
    lag_days = np.where(eager, rng.exponential(_EAGER_LAG_DAYS, size), rng.exponential(_LAGGARD_LAG_DAYS, size))
    digits = len(str(size))
    ids = pc.utf8_lpad(pa.array(np.arange(size), pa.int64()).cast(pa.string()), digits, "0")
    return Population(
        user_ids=pc.binary_join_element_wise("u_", ids, ""),
        platform=rng.choice(len(PLATFORMS), size=size, p=_normalised(PLATFORM_WEIGHTS)).astype(np.int8),
        country=rng.choice(len(COUNTRIES), size=size, p=_normalised(COUNTRY_WEIGHTS)).astype(np.int8),
        update_lag_us=(lag_days * _DAY_US).astype(np.int64),
        rollout_rank=rng.random(size),
        beta=rng.random(size) < _BETA_SHARE,
    )


# -- volume model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeModel:
    """Expected rows per (bucket, event): ``start`` is the first bucket, ``rates`` is buckets × events."""

    start: datetime
    rates: np.ndarray
    event_types: tuple[str, ...]
    event_names: tuple[str, ...]

    @property
    def bucket_count(self) -> int:
        return int(self.rates.shape[0])

    def bucket_us(self) -> np.ndarray:
        return epoch_us(self.start) + np.arange(self.bucket_count, dtype=np.int64) * BUCKET_US


def flat_events(types: Sequence[EventTypeSpec]) -> list[tuple[EventTypeSpec, EventSpec]]:
    return [(event_type, event) for event_type in types for event in event_type.events]


def base_rhythm(bucket_us: np.ndarray) -> np.ndarray:
    """Relative traffic per bucket, about 1 on average: a daily curve (quiet near 04:00 UTC, busiest
    around 19:30 UTC, as for an app used mostly in Europe and the Americas) times a weekend dip that
    fades in and out over a few hours instead of jumping at midnight."""
    hours = (bucket_us % _DAY_US) / 3_600e6 + 0.125  # centre of the 15-minute bucket
    daily = np.exp(0.9 * np.cos(2 * np.pi * (hours - 19.5) / 24)) / 1.2
    week_days = ((bucket_us - _MONDAY_US) % (7 * _DAY_US)) / _DAY_US
    shifted = (week_days - 2 / 24) % 7
    ramp = 4 / 24
    weekend = np.clip((shifted - (4 + 20 / 24)) / ramp, 0, 1) - np.clip((shifted - (6 + 20 / 24)) / ramp, 0, 1)
    return daily * (1 - 0.2 * weekend)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float, memory: float) -> np.ndarray:
    """Multiplicative AR(1) noise along the first axis: the level wanders slowly (``memory`` close to 1
    means hours-long swings) with stationary log-sd ``sigma``, never jumping from one bucket to the next."""
    innovations = rng.normal(0.0, sigma * np.sqrt(1 - memory**2), shape)
    walk = np.empty(shape)
    walk[0] = rng.normal(0.0, sigma, shape[1:])
    for step in range(1, shape[0]):  # a few thousand vectorised steps; a filter loop, not a row loop
        walk[step] = memory * walk[step - 1] + innovations[step]
    return np.exp(walk - sigma**2 / 2)


def volume_model(
    rng: np.random.Generator,
    types: Sequence[EventTypeSpec],
    start: datetime,
    days: int,
    events_per_day: float,
    growth_per_day: float = 0.003,
    noise_sigma: float = 0.03,
) -> VolumeModel:
    """Clean expected volumes: rhythm, gentle growth, shared and per-event smooth noise."""
    flat = flat_events(types)
    weights = _normalised([event.weight for _, event in flat])
    buckets = days * BUCKETS_PER_DAY
    bucket_us = epoch_us(start) + np.arange(buckets, dtype=np.int64) * BUCKET_US
    per_bucket = events_per_day / BUCKETS_PER_DAY
    trend = 1 + growth_per_day * np.arange(buckets) / BUCKETS_PER_DAY
    shared = smooth_noise(rng, (buckets, 1), sigma=noise_sigma, memory=0.98)
    own = smooth_noise(rng, (buckets, len(flat)), sigma=noise_sigma, memory=0.97)
    rates = (per_bucket * base_rhythm(bucket_us) * trend)[:, None] * shared * own * weights[None, :]
    # The rhythm and growth average slightly off 1; rescale so the expected total is what was asked.
    rates *= events_per_day * days / rates.sum()
    for column, (_, event) in enumerate(flat):
        if event.active_until is not None:
            rates[bucket_us >= epoch_us(event.active_until), column] = 0.0
    return VolumeModel(
        start=start,
        rates=rates,
        event_types=tuple(event_type.name for event_type, _ in flat),
        event_names=tuple(event.name for _, event in flat),
    )


def scale_window(model: VolumeModel, event_name: str, first: datetime, last: datetime, factor: float) -> None:
    """Multiply one event's expected volume over the buckets [first, last) (a planted spike or drop)."""
    column = model.event_names.index(event_name)
    bucket_us = model.bucket_us()
    inside = (bucket_us >= epoch_us(first)) & (bucket_us < epoch_us(last))
    model.rates[inside, column] *= factor


# -- rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowContext:
    """What property builders may read about the rows of one event type."""

    ts_us: np.ndarray
    event_names: np.ndarray
    rng: np.random.Generator


@dataclass
class TableBuilder:
    """Expands a volume model into Arrow tables, one chunk of buckets at a time."""

    model: VolumeModel
    types: Sequence[EventTypeSpec]
    releases: Sequence[ReleaseSpec]
    base_version: str
    population: Population
    _type_columns: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        names = np.array(self.model.event_types)
        self._type_columns = {spec.name: np.flatnonzero(names == spec.name) for spec in self.types}

    def chunks(self, buckets_per_chunk: int, seed: int) -> Iterator[pa.Table]:
        # One Poisson draw for the whole grid keeps chunking from changing the counts.
        counts = np.random.default_rng([seed, 0]).poisson(self.model.rates)
        for index, first in enumerate(range(0, self.model.bucket_count, buckets_per_chunk)):
            window = slice(first, first + buckets_per_chunk)
            rng = np.random.default_rng([seed, 1, index])
            yield self.table(counts[window], self.model.bucket_us()[window], rng)

    def table(self, counts: np.ndarray, bucket_us: np.ndarray, rng: np.random.Generator) -> pa.Table:
        parts = [
            self._type_table(spec, counts[:, self._type_columns[spec.name]], bucket_us, rng) for spec in self.types
        ]
        table = pa.concat_tables([part for part in parts if part.num_rows])
        return table.take(pc.sort_indices(table, [("ts", "ascending")]))

    def _type_table(
        self, spec: EventTypeSpec, counts: np.ndarray, bucket_us: np.ndarray, rng: np.random.Generator
    ) -> pa.Table:
        columns = self._type_columns[spec.name]
        flat = counts.ravel()
        rows_bucket = np.repeat(np.repeat(np.arange(len(bucket_us)), len(columns)), flat)
        rows_event = np.repeat(np.tile(columns, len(bucket_us)), flat)
        ts_us = bucket_us[rows_bucket] + rng.integers(0, BUCKET_US, len(rows_bucket))
        users = (len(self.population.platform) * rng.random(len(ts_us)) ** _ACTIVITY_SKEW).astype(np.int64)
        versions = self._versions(ts_us, users)
        sent = self._sent(rows_event, versions)
        ts_us, rows_event, users, versions = ts_us[sent], rows_event[sent], users[sent], versions[sent]
        names = np.array(self.model.event_names)[rows_event]
        context = RowContext(ts_us=ts_us, event_names=names, rng=rng)
        version_labels = pa.array([self.base_version, *(release.version for release in self.releases)])
        return pa.table(
            {
                "ts": pa.array(ts_us, pa.timestamp("us", tz="UTC")),
                "event_type": pa.array(np.full(len(ts_us), spec.name)),
                "event_name": pa.array(names),
                "platform": pc.take(pa.array(PLATFORMS), self.population.platform[users]),
                "app_version": pc.take(version_labels, versions),
                "country": pc.take(pa.array(COUNTRIES), self.population.country[users]),
                "user_id": pc.take(self.population.user_ids, users),
                "properties": json_objects(spec.properties, context),
            }
        )

    def _versions(self, ts_us: np.ndarray, users: np.ndarray) -> np.ndarray:
        """Index into [base, *releases] of the build each row was sent from: the newest release the
        user has taken by then; beta testers run a pre-release from the day it ships."""
        population = self.population
        version = np.zeros(len(ts_us), dtype=np.int8)
        lag = population.update_lag_us[users]
        rank = population.rollout_rank[users]
        for index, release in enumerate(self.releases, start=1):
            if not release.prerelease:
                since = ts_us - epoch_us(release.released_at)
                version[(since >= lag) & (rank < phase_share(release, ts_us))] = index
        beta = population.beta[users]
        for index, release in enumerate(self.releases, start=1):
            if release.prerelease:
                version[beta & (ts_us >= epoch_us(release.released_at))] = index
        return version

    def _sent(self, rows_event: np.ndarray, versions: np.ndarray) -> np.ndarray:
        """False for rows of an event that the row's build never sends."""
        sent = np.ones(len(rows_event), dtype=bool)
        for index, release in enumerate(self.releases, start=1):
            for name in release.missing_events:
                sent &= ~((versions == index) & (rows_event == self.model.event_names.index(name)))
        return sent


def phase_share(release: ReleaseSpec, ts_us: np.ndarray) -> np.ndarray:
    """Share of users a (phased) release is offered to at each moment: everyone unless phased."""
    if not release.phases:
        return np.ones(len(ts_us))
    moments = np.array([epoch_us(moment) for moment, _ in release.phases])
    shares = np.array([0.0, *(share for _, share in release.phases)])
    return shares[np.searchsorted(moments, ts_us, side="right")]


def expected_release_share(
    population: Population, releases: Sequence[ReleaseSpec], version: str, moments_us: np.ndarray
) -> np.ndarray:
    """Expected share of traffic on ``version`` at each moment, computed over the whole population
    (rows pick users independently of their update behaviour, so user shares are traffic shares)."""
    ordered = [release for release in releases if not release.prerelease]
    target = next(index for index, release in enumerate(ordered) if release.version == version)
    successors = ordered[target + 1 :]
    lag = population.update_lag_us[None, :]
    rank = population.rollout_rank[None, :]
    beta = population.beta[None, :]
    activity = _activity_weights(len(population.platform))[None, :]

    def on_or_after(release: ReleaseSpec) -> np.ndarray:
        since = moments_us[:, None] - epoch_us(release.released_at)
        return (since >= lag) & (rank < phase_share(release, moments_us)[:, None])

    held = on_or_after(ordered[target])
    for successor in successors:
        held &= ~on_or_after(successor)
    on_prerelease = np.zeros_like(held)
    for release in releases:
        if release.prerelease:
            on_prerelease |= beta & (moments_us[:, None] >= epoch_us(release.released_at))
    return np.sum((held & ~on_prerelease) * activity, axis=1)


def _activity_weights(size: int) -> np.ndarray:
    """Probability that a row picks each user under ``index = size × u^k``."""
    edges = (np.arange(size + 1) / size) ** (1 / _ACTIVITY_SKEW)
    return np.diff(edges)


# -- JSON properties -----------------------------------------------------------------------------


def json_objects(specs: Sequence[KeySpec], context: RowContext) -> pa.Array:
    """One JSON object text per row; absent keys are left out, not written as null."""
    fragments = [json_fragment(spec, context) for spec in specs]
    if not fragments:
        return pa.array(np.full(len(context.ts_us), "{}"))
    body = pc.binary_join_element_wise(*fragments, ",", null_handling="skip")
    return pc.binary_join_element_wise("{", body, "}", "")


def json_fragment(spec: KeySpec, context: RowContext) -> pa.Array:
    """`"key":value` for every row (null where the key is absent)."""
    size = len(context.ts_us)
    rng = context.rng
    if isinstance(spec, Choice):
        literals = pa.array([_member(spec.key, value) for value in spec.values])
        picks = _pick(rng, len(spec.values), spec.weights, size)
        if spec.shift is not None:
            moment, weights = spec.shift
            shifted = _pick(rng, len(spec.values), weights, size)
            picks = np.where(context.ts_us >= epoch_us(moment), shifted, picks)
        return pc.take(literals, picks)
    if isinstance(spec, Number):
        return _number_fragment(spec, rng, size)
    if isinstance(spec, ByEvent):
        names = sorted(spec.values)
        literals = pa.array([_member(spec.key, spec.values[name]) for name in names] + [None], pa.string())
        positions = np.searchsorted(names, context.event_names)
        known = positions < len(names)
        known[known] = np.array(names)[positions[known]] == context.event_names[known]
        return pc.take(literals, np.where(known, positions, len(names)))
    if isinstance(spec, Nested):
        inner = json_objects(spec.children, context)
        return pc.binary_join_element_wise(json.dumps(spec.key) + ":", inner, "")
    fragment = json_fragment(spec.spec, context)
    present = rng.random(size) < spec.share
    if spec.since is not None:
        present &= context.ts_us >= epoch_us(spec.since)
    return pc.if_else(pa.array(present), fragment, pa.scalar(None, pa.string()))


def _number_fragment(spec: Number, rng: np.random.Generator, size: int) -> pa.Array:
    if spec.log:
        values = np.exp(rng.uniform(np.log(spec.low), np.log(spec.high), size))
    else:
        values = rng.uniform(spec.low, spec.high, size)
    rounded = np.round(values, spec.decimals)
    array = pa.array(rounded.astype(np.int64)) if spec.decimals == 0 else pa.array(rounded)
    return pc.binary_join_element_wise(json.dumps(spec.key) + ":", array.cast(pa.string()), "")


def _member(key: str, value: JsonScalar) -> str:
    return json.dumps(key) + ":" + json.dumps(value)


def _pick(rng: np.random.Generator, options: int, weights: Sequence[float] | None, size: int) -> np.ndarray:
    probabilities = None if weights is None else _normalised(weights)
    return rng.choice(options, size=size, p=probabilities)


# -- files -----------------------------------------------------------------------------------------


def write_single_file(tables: Iterator[pa.Table], path: Path) -> int:
    """Write chunks as row groups of one Parquet file; returns the row count."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def write_parts(tables: Iterator[pa.Table], folder: Path) -> int:
    """Write each chunk as its own Parquet part under ``folder``; returns the row count."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = 0
    for index, table in enumerate(tables):
        pq.write_table(table, folder / f"part-{index:04d}.parquet", compression="zstd")
        rows += table.num_rows
    return rows


# -- helpers -----------------------------------------------------------------------------------------


def _normalised(weights: Sequence[float]) -> np.ndarray:
    array = np.asarray(weights, dtype=float)
    return array / array.sum()


def epoch_us(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def to_datetime(epoch_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(epoch_us))
