"""Active signals (SEMANTICS §4): open signals whose bucket lies within the last 24 h or 3 intervals of
their scan config, whichever is longer, and open silences (still going on), optionally only those of some
events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tripl_core.db.base import utcnow
from tripl_core.metrics.models import AnomalySignal
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig, ScanInterval

# Signal kinds (`direction`): spikes and drops of a bucket's volume, and a silence, a scope that was
# regularly seen and has been at zero longer than its history makes plausible (SEMANTICS §4).
SPIKE, DROP, SILENCE = "spike", "drop", "silence"
# The scope of a signal about the whole source, its drops and silences of one bucket rolled into one
# (SEMANTICS §4 signal kinds; detection.roll_up_freshness).
FRESHNESS = "freshness"
# Statuses: open until the incident is over; only a silence closes by itself, when its data returns.
OPEN, CLOSED = "open", "closed"
ACTIVE_FOR = timedelta(hours=24)
ACTIVE_INTERVALS = 3


def active(session: Session, project: Project, event_ids: Sequence[uuid.UUID] = (),
           now: datetime | None = None) -> list[AnomalySignal]:
    now = now or utcnow()
    longest = max(ACTIVE_FOR, ACTIVE_INTERVALS * timedelta(seconds=ScanInterval.w1.seconds))
    # An open silence is still going on (it closes when data returns), so it stays active however old its
    # bucket is.
    query = (select(AnomalySignal, ScanConfig.interval).join(ScanConfig)
             .where(AnomalySignal.project_id == project.id, AnomalySignal.status == OPEN,
                    or_(AnomalySignal.bucket >= now - longest, AnomalySignal.direction == SILENCE))
             .order_by(AnomalySignal.bucket.desc(), AnomalySignal.id))
    if event_ids:
        query = query.where(AnomalySignal.event_id.in_(list(event_ids)))
    return [signal for signal, interval in session.execute(query)
            if signal.direction == SILENCE or signal.bucket >= now - _active_span(interval)]


def _active_span(interval: str | None) -> timedelta:
    seconds = ScanInterval(interval).seconds if interval else 0
    return max(ACTIVE_FOR, ACTIVE_INTERVALS * timedelta(seconds=seconds))
