"""The demo project's synthetic warehouse: one `events.parquet` with every planted case in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from tripl_core.demo import app_events
from tripl_core.demo.cases import (
    DeadEvent,
    DemoCases,
    DistributionShift,
    MissingOnRelease,
    NewField,
    Release,
    ShadowEvent,
    Silence,
    VolumeAnomaly,
)
from tripl_core.demo.synth import (
    BUCKET,
    BUCKET_US,
    BUCKETS_PER_DAY,
    Population,
    ReleaseSpec,
    TableBuilder,
    epoch_us,
    expected_release_share,
    flat_events,
    make_population,
    scale_window,
    to_datetime,
    volume_model,
    write_single_file,
)

TABLE = "events"
TIME_COLUMN = "ts"
# About 840k rows over 35 days: the spike and drop events then expect roughly 70-90 rows per busy
# 15-minute bucket (the detector judges buckets expecting ≥ 50) while generation stays in seconds.
EVENTS_PER_DAY = 24_000
USERS = 40_000
# Smooth day-to-day wander of each event's rate (log-sd). Real series wander more, but at 3% the
# project-total series (hundreds of rows per bucket, where this wander dominates Poisson noise) drew
# occasional 4-sigma verdicts from the detector with nothing planted; 2% keeps them rare.
NOISE_SIGMA = 0.02
# The dead event must be silent for more than the 30 days dead-event detection looks back, and must
# have been seen once, so the range needs a little more than 31 days.
MIN_DAYS = 32
DEAD_SILENCE = timedelta(days=31)
BASE_VERSION = "3.1.0"
ACTIVE_SHARE = 0.05
SPIKE_FACTOR = 4.0
DROP_FACTOR = 0.1
_DAY = timedelta(days=1)
_BUCKETS_PER_CHUNK = 7 * BUCKETS_PER_DAY


@dataclass(frozen=True)
class _Schedule:
    """Moments of the planted cases, relative to the last midnight before `end`."""

    spike: tuple[datetime, datetime]
    drop: tuple[datetime, datetime]
    silence: tuple[datetime, datetime]
    releases: tuple[ReleaseSpec, ...]
    moments: app_events.PlantedMoments


def generate_demo_warehouse(folder: Path, *, end: datetime, days: int = 35, seed: int = 7) -> DemoCases:
    """Write `folder/events.parquet`: `days` days of events ending at `end` (floored to 15 minutes, UTC).

    The same arguments always give the same rows. Returns what was planted and where.
    """
    if days < MIN_DAYS:
        raise ValueError(f"the demo warehouse needs at least {MIN_DAYS} days (got {days})")
    end = floor_to_bucket(end)
    start = end - days * _DAY
    schedule = _schedule(end)
    types = app_events.demo_types(schedule.moments)
    model = volume_model(np.random.default_rng([seed, 2]), types, start, days, EVENTS_PER_DAY, noise_sigma=NOISE_SIGMA)
    scale_window(model, app_events.SPIKE_EVENT, *schedule.spike, SPIKE_FACTOR)
    scale_window(model, app_events.DROP_EVENT, *schedule.drop, DROP_FACTOR)
    scale_window(model, app_events.SILENCE_EVENT, *schedule.silence, 0.0)
    population = make_population(np.random.default_rng([seed, 3]), USERS)
    builder = TableBuilder(model, types, schedule.releases, BASE_VERSION, population)
    folder.mkdir(parents=True, exist_ok=True)
    rows = write_single_file(builder.chunks(_BUCKETS_PER_CHUNK, seed), folder / f"{TABLE}.parquet")
    return _cases(
        schedule,
        population_share=_missing_release(schedule, population, end),
        start=start,
        end=end,
        seed=seed,
        rows=rows,
        events=[(t.name, e.name) for t, e in flat_events(types)],
    )


def _schedule(end: datetime) -> _Schedule:
    midnight = end.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight == end:
        midnight -= _DAY
    # Planted at busy evening hours on recent days, with 14+ days of clean history before them.
    spike_at = midnight - 4 * _DAY + timedelta(hours=19)
    drop_at = midnight - 2 * _DAY + timedelta(hours=18)
    # Still silent at the end of the range, so its signal is open "now"; it starts at a busy afternoon
    # hour on the last full day, after the spike and the drop (their draws are not disturbed).
    silence_at = midnight - _DAY + timedelta(hours=16)
    new_release_at = midnight - 3 * _DAY + timedelta(hours=10)
    releases = (
        ReleaseSpec("3.2.0", midnight - 29 * _DAY + timedelta(hours=9)),
        ReleaseSpec("3.2.1", midnight - 24 * _DAY + timedelta(hours=15)),
        ReleaseSpec("3.3.0", midnight - 16 * _DAY + timedelta(hours=11)),
        # An app-store style phased rollout: offered to 5%, 10%, then 20% of users, a day each.
        ReleaseSpec(
            "3.4.0",
            new_release_at,
            phases=((new_release_at, 0.05), (new_release_at + _DAY, 0.10), (new_release_at + 2 * _DAY, 0.20)),
            missing_events=frozenset({app_events.MISSING_EVENT}),
        ),
        # Beta testers run the next version already; pre-releases never count as the newest release.
        ReleaseSpec("3.5.0-beta.1", midnight - 1 * _DAY + timedelta(hours=8), prerelease=True),
    )
    moments = app_events.PlantedMoments(
        currency_shift=midnight - 4 * _DAY + timedelta(hours=6),
        coupon_since=midnight - 2 * _DAY + timedelta(hours=9),
        dead_after=end - DEAD_SILENCE,
    )
    return _Schedule(
        spike=(spike_at, spike_at + 4 * BUCKET),
        drop=(drop_at, drop_at + 3 * BUCKET),
        silence=(silence_at, end),
        releases=releases,
        moments=moments,
    )


@dataclass(frozen=True)
class _ReleaseShare:
    active_from: datetime
    final_share: float


def _missing_release(schedule: _Schedule, population: Population, end: datetime) -> _ReleaseShare:
    release = next(spec for spec in schedule.releases if spec.missing_events)
    first = epoch_us(release.released_at)
    buckets = np.arange(first, epoch_us(end), BUCKET_US, dtype=np.int64)
    shares = expected_release_share(population, schedule.releases, release.version, buckets)
    below = np.flatnonzero(shares < ACTIVE_SHARE)
    first_active = below[-1] + 1 if len(below) else 0
    if first_active >= len(buckets):
        raise ValueError("the new release never reaches 5% of traffic; the range is too short")
    return _ReleaseShare(to_datetime(buckets[first_active]), float(shares[-1]))


def _cases(
    schedule: _Schedule,
    *,
    population_share: _ReleaseShare,
    start: datetime,
    end: datetime,
    seed: int,
    rows: int,
    events: list[tuple[str, str]],
) -> DemoCases:
    regular = [spec for spec in schedule.releases if not spec.prerelease]
    new_release = next(spec for spec in regular if spec.missing_events)
    previous = regular[regular.index(new_release) - 1]
    return DemoCases(
        table=TABLE,
        time_column=TIME_COLUMN,
        start=start,
        end=end,
        seed=seed,
        row_count=rows,
        event_types=tuple(app_events.WEIGHTS),
        events=tuple(events),
        base_version=BASE_VERSION,
        releases=tuple(Release(s.version, s.released_at, s.prerelease, s.phases) for s in schedule.releases),
        spike=_anomaly(app_events.SPIKE_EVENT, "spike", schedule.spike, SPIKE_FACTOR),
        drop=_anomaly(app_events.DROP_EVENT, "drop", schedule.drop, DROP_FACTOR),
        missing_on_release=MissingOnRelease(
            event_type=app_events.event_type_of(app_events.MISSING_EVENT),
            event_name=app_events.MISSING_EVENT,
            version=new_release.version,
            previous_version=previous.version,
            released_at=new_release.released_at,
            active_from=population_share.active_from,
            final_share=population_share.final_share,
        ),
        distribution_shift=DistributionShift(
            event_type=app_events.PURCHASE,
            field="properties.currency",
            since=schedule.moments.currency_shift,
            baseline=tuple(zip(app_events.CURRENCIES, app_events.CURRENCY_BASELINE, strict=True)),
            current=tuple(zip(app_events.CURRENCIES, app_events.CURRENCY_SHIFTED, strict=True)),
        ),
        new_field=NewField(
            event_type=app_events.PURCHASE,
            field=f"properties.{app_events.COUPON_KEY}",
            since=schedule.moments.coupon_since,
            share=app_events.COUPON_SHARE,
            values=app_events.COUPONS,
        ),
        dead_event=DeadEvent(
            app_events.event_type_of(app_events.DEAD_EVENT), app_events.DEAD_EVENT, schedule.moments.dead_after
        ),
        shadow_event=ShadowEvent(app_events.event_type_of(app_events.SHADOW_EVENT), app_events.SHADOW_EVENT),
        silence=Silence(app_events.event_type_of(app_events.SILENCE_EVENT), app_events.SILENCE_EVENT,
                        *schedule.silence),
    )


def _anomaly(event_name: str, direction: str, window: tuple[datetime, datetime], factor: float) -> VolumeAnomaly:
    return VolumeAnomaly(
        event_type=app_events.event_type_of(event_name),
        event_name=event_name,
        direction="spike" if direction == "spike" else "drop",
        start=window[0],
        end=window[1],
        factor=factor,
    )


def floor_to_bucket(moment: datetime) -> datetime:
    return to_datetime(epoch_us(moment) // BUCKET_US * BUCKET_US)
