"""Bucket arithmetic: UTC, half-open, epoch-anchored, weeks from Monday 1970-01-05."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tripl_core.warehouse import Interval, JsonRef, bucket_start


@pytest.mark.parametrize(
    ("moment", "interval", "start"),
    [
        (
            datetime(2024, 1, 7, 23, 59, 59, 999_999, tzinfo=UTC),
            Interval.WEEK_1,
            datetime(2024, 1, 1, tzinfo=UTC),
        ),
        (datetime(2024, 1, 8, tzinfo=UTC), Interval.WEEK_1, datetime(2024, 1, 8, tzinfo=UTC)),
        (datetime(1970, 1, 5, tzinfo=UTC), Interval.WEEK_1, datetime(1970, 1, 5, tzinfo=UTC)),
        (datetime(2024, 1, 8, 5, 59, tzinfo=UTC), Interval.HOUR_6, datetime(2024, 1, 8, tzinfo=UTC)),
        (datetime(2024, 1, 8, 6, 0, tzinfo=UTC), Interval.HOUR_6, datetime(2024, 1, 8, 6, tzinfo=UTC)),
        (
            datetime(2024, 1, 8, 12, 44, 59, tzinfo=UTC),
            Interval.MIN_15,
            datetime(2024, 1, 8, 12, 30, tzinfo=UTC),
        ),
        (datetime(2024, 1, 8, 12, 59), Interval.HOUR_1, datetime(2024, 1, 8, 12, tzinfo=UTC)),
        (datetime(2024, 2, 29, 23, 0, tzinfo=UTC), Interval.DAY_1, datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_bucket_start(moment: datetime, interval: Interval, start: datetime) -> None:
    assert bucket_start(moment, interval) == start


@pytest.mark.parametrize("interval", list(Interval))
def test_every_bucket_is_half_open(interval: Interval) -> None:
    start = bucket_start(datetime(2024, 3, 14, 15, 9, 26, tzinfo=UTC), interval)
    assert bucket_start(start, interval) == start
    assert bucket_start(start + interval.delta - timedelta(microseconds=1), interval) == start
    assert bucket_start(start + interval.delta, interval) == start + interval.delta


def test_week_buckets_start_on_monday() -> None:
    assert bucket_start(datetime(2024, 6, 13, tzinfo=UTC), Interval.WEEK_1).weekday() == 0


def test_json_ref_parses_dotted_paths() -> None:
    assert JsonRef.parse("properties.user.plan") == JsonRef("properties", ("user", "plan"))
    assert JsonRef.parse("properties.user.plan").label == "properties.user.plan"
    for bad in ("properties", "properties.", ".x", "p..x"):
        with pytest.raises(ValueError, match="is not a JSON path"):
            JsonRef.parse(bad)
