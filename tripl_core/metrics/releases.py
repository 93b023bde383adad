"""App-version series and adoption, release regressions (SEMANTICS §4) and distribution drifts (§5):
computing them after a collection and reading them back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tripl_core.analysis import regressions
from tripl_core.analysis.versions import by_release, release_key
from tripl_core.metrics import anomaly_settings, store
from tripl_core.metrics.drilldown import ScopeKey, _clip
from tripl_core.metrics.models import AppVersionDay, DistributionDrift, ReleaseRegression, Scope
from tripl_core.metrics.reads import config_of, window
from tripl_core.metrics.schemas import (
    AppVersionAdoption,
    AppVersionSeries,
    CountPoint,
    DistributionDrifts,
    DriftPoint,
    RegressionItem,
    ReleaseRegressions,
    VersionSeries,
    VersionTotal,
)
from tripl_core.metrics.series import zero_filled
from tripl_core.plan.models import Event, Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.warehouse import Interval

OVERLAP_READ = timedelta(days=28)


def _version_counts(session: Session, config: ScanConfig, key: ScopeKey, start: datetime,
                    end: datetime) -> dict[str, dict[datetime, int]]:
    out: dict[str, dict[datetime, int]] = defaultdict(dict)
    for (_, _, version), found in store.read(session, AppVersionDay, config.id, start, end,
                                             AppVersionDay.scope == key[0], AppVersionDay.scope_ref == key[1]):
        out[version].update(found)
    return out


def version_series(session: Session, config: ScanConfig, key: ScopeKey, time_from: datetime | None,
                   time_to: datetime | None) -> AppVersionSeries:
    start, end = _clip(session, config, *window(session, config, time_from, time_to))
    counts = _version_counts(session, config, key, start, end)
    interval = Interval(config.interval or "1h")
    versions = list(reversed(by_release(counts)))
    series = [VersionSeries(version=v, data=[CountPoint(bucket=b.to_pydatetime(), count=int(c)) for b, c in
                                             zero_filled(counts[v], start, end, interval).items()])
              for v in versions]
    latest = next((v for v in versions if release_key(v) is not None), None)
    return AppVersionSeries(
        scan_config_id=config.id, scope_type=key[0], scope_ref=key[1],
        event_id=uuid.UUID(key[1]) if key[0] == Scope.event.value else None,
        event_type_id=uuid.UUID(key[1]) if key[0] == Scope.event_type.value else None,
        app_version_column=config.app_version_column, interval=config.interval, latest_version=latest,
        versions=versions, series=series)


def adoption(session: Session, config: ScanConfig, time_from: datetime | None,
             time_to: datetime | None) -> AppVersionAdoption:
    key = (Scope.project_total.value, str(config.id))
    base = version_series(session, config, key, time_from, time_to)
    totals = {s.version: sum(p.count for p in s.data) for s in base.series}
    grand = sum(totals.values())
    return AppVersionAdoption(**base.model_dump(), totals=[
        VersionTotal(version=v, count=c, share=c / grand if grand else 0.0) for v, c in totals.items()])


def detect_regressions(session: Session, config: ScanConfig, end: datetime) -> int:
    """Replace the config's regressions with those of its newest active release (SEMANTICS §4)."""
    session.execute(delete(ReleaseRegression).where(ReleaseRegression.scan_config_id == config.id))
    if not config.app_version_column or not config.interval:
        return 0
    interval = Interval(config.interval)
    rows = [(scope, ref, version, bucket, count) for (scope, ref, version), found in store.read(
        session, AppVersionDay, config.id, end - OVERLAP_READ, end,
        AppVersionDay.scope.in_([Scope.project_total.value, Scope.event.value])) for bucket, count in found.items()]
    totals: dict[datetime, dict[str, int]] = defaultdict(dict)
    for scope, _, version, bucket, count in rows:
        if scope == Scope.project_total.value:
            totals[bucket][version] = count
    pair = regressions.release_pair(totals, interval.delta)
    if pair is None:
        return 0
    overlap_totals: dict[str, int] = defaultdict(int)
    per_event: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for scope, ref, version, bucket, count in rows:
        if pair.start <= bucket < pair.end:
            if scope == Scope.project_total.value:
                overlap_totals[version] += count
            else:
                per_event[ref][version] += count
    sigma = anomaly_settings.peek(session, config.project_id).sigma_threshold
    found = regressions.regressions(pair, overlap_totals, per_event, sigma)
    if found:
        session.execute(insert(ReleaseRegression), [
            {"id": uuid.uuid4(), "project_id": config.project_id, "scan_config_id": config.id,
             "event_id": uuid.UUID(r.event), "version": r.version, "previous_version": r.previous_version,
             "kind": r.kind, "observed": r.observed, "expected": r.expected, "previous_count": r.previous_count}
            for r in found])
    session.flush()
    return len(found)


def regressions_out(session: Session, config: ScanConfig) -> ReleaseRegressions:
    rows = session.execute(select(ReleaseRegression, Event.name).join(Event, Event.id == ReleaseRegression.event_id)
                           .where(ReleaseRegression.scan_config_id == config.id)
                           .order_by(ReleaseRegression.observed - ReleaseRegression.expected)).all()
    _, latest_keys = store.last_bucket(session, AppVersionDay, config.id)
    versions = list(dict.fromkeys(version for _, _, version in latest_keys))
    releases = [v for v in by_release(versions) if release_key(v) is not None]
    items = [RegressionItem.model_validate(r).model_copy(update={"event_name": name}) for r, name in rows]
    return ReleaseRegressions(scan_config_id=config.id, app_version_column=config.app_version_column,
                              latest_version=releases[-1] if releases else None, items=items)


def drifts_out(session: Session, project: Project, scope_type: str, scope_ref: str,
               scan_config_id: uuid.UUID | None, time_from: datetime | None,
               time_to: datetime | None) -> DistributionDrifts:
    config = config_of(session, project, scan_config_id)
    query = select(DistributionDrift).where(DistributionDrift.project_id == project.id,
                                            DistributionDrift.scope == scope_type)
    if scope_type != Scope.project_total.value:
        query = query.where(DistributionDrift.scope_ref == scope_ref)
    if config is not None:
        query = query.where(DistributionDrift.scan_config_id == config.id)
    if time_from is not None:
        query = query.where(DistributionDrift.window_end > time_from)
    if time_to is not None:
        query = query.where(DistributionDrift.window_end <= time_to)
    rows = session.scalars(query.order_by(DistributionDrift.window_end, DistributionDrift.field)).all()
    return DistributionDrifts(
        scope=scope_type, scan_config_id=config.id if config else None,
        event_type_id=uuid.UUID(scope_ref) if scope_type == Scope.event_type.value else None,
        fields=list(config.distribution_drift_fields or []) if config else [],
        data=[DriftPoint.model_validate(r) for r in rows])
