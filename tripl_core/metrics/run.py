"""One metrics run of a scan config over a window: collect (counts, breakdowns, app versions, drift
counts), then detect (signals, forecasts) and release regressions over the stored series. Used by the
Dagster assets, replays and the tests alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from tripl_core.db.engine import Database
from tripl_core.metrics import lateness
from tripl_core.metrics.collect import collect_metrics
from tripl_core.metrics.detection import detect_window
from tripl_core.metrics.releases import detect_regressions
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox


def run_metrics(db: Database, scan_config_id: uuid.UUID, time_from: datetime, time_to: datetime, *,
                secrets: SecretBox, cancel_requested: Callable[[], bool] = lambda: False,
                now: datetime | None = None) -> dict[str, int | str]:
    collected = collect_metrics(db, scan_config_id, time_from, time_to, secrets=secrets,
                                cancel_requested=cancel_requested, now=now)
    summary = collected.summary()
    summary.update(analyse(db, scan_config_id, collected.time_from, collected.time_to, now))
    return summary


def analyse(db: Database, scan_config_id: uuid.UUID, start: datetime, end: datetime,
            now: datetime | None = None) -> dict[str, int | str]:
    """Signals of the window's complete buckets (as of `now`), forecasts, release regressions."""
    with db.unit_of_work() as session:
        config = session.get(ScanConfig, scan_config_id)
        until = lateness.complete_until(config, now) if config is not None else None
        detected = detect_window(session, scan_config_id, start, end, until)
        regressions = detect_regressions(session, config, end) if config is not None else 0
    return {"series_scored": detected.series_scored, "signals_raised": detected.signals_found,
            "forecasts_written": detected.forecasts_written, "release_regressions": regressions}
