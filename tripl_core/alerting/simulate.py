"""Simulate Alert Rule: replay a rule over the stored signals and drifts of the last `days`, bucket by
bucket, with the same matching as the fan-out (cooldown included, optionally another one) and report what
would have been sent. Live inbox state and mutes are left out: the question is what the rule itself does."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.alerting import candidates as candidate_reads
from tripl_core.alerting.fanout import MAX_ITEMS_PER_DELIVERY, item_payload, render
from tripl_core.alerting.models import AlertDestination, AlertRule
from tripl_core.alerting.schemas import SimulatedDay, SimulatedFiring, SimulationOut
from tripl_core.analysis.matching import Candidate, MatchState, RuleView, passes
from tripl_core.analysis.matching import select as select_items
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig

NOISY_FIRINGS_PER_DAY = 12
MAX_ITEMS_SHOWN = 100


def simulate(session: Session, project: Project, destination: AlertDestination, rule: AlertRule, days: int,
             now: datetime, cooldown_override: int | None = None) -> SimulationOut:
    configs = list(session.scalars(select(ScanConfig).where(ScanConfig.project_id == project.id)))
    start = now - timedelta(days=days)
    found = candidate_reads.load(session, candidate_reads.Window([c.id for c in configs], start, now))
    view = RuleView.of(rule)
    cooldown = view.cooldown_minutes if cooldown_override is None else cooldown_override
    state, firings, shown = MatchState(), [], 0
    for bucket, group in groupby(found, key=lambda c: c.bucket):
        chosen = select_items(view, list(group), state, bucket, cooldown)
        if not chosen.to_send:
            continue
        state.record_sent(chosen.to_send, bucket)
        items = [item_payload(item) for item in chosen.to_send[:max(MAX_ITEMS_SHOWN - shown, 0)]]
        shown += len(items)
        firings.append((bucket, chosen.to_send, items))
    per_day = _per_day(firings)
    last_message = None
    if firings:
        bucket, sent, _ = firings[-1]
        names = {c.id: c.name for c in configs}
        last_message = render(project.name, destination.name, rule, names.get(sent[0].scan_config_id),
                              sent[:MAX_ITEMS_PER_DELIVERY], dict(destination.settings)).text
    return SimulationOut(
        rule_id=rule.id, rule_name=rule.name, days=days, window_from=start, window_to=now,
        anomalies_considered=len(found), matched_before_cooldown=sum(1 for c in found if passes(view, c)),
        firings=[SimulatedFiring(at=at, matched_count=len(sent), items=items) for at, sent, items in firings],
        per_day=per_day, noisy=any(day.firings > NOISY_FIRINGS_PER_DAY for day in per_day),
        cooldown_minutes_used=cooldown, cooldown_minutes_saved=max(view.cooldown_minutes - cooldown, 0),
        rendered_message=last_message)


def _per_day(firings: list[tuple[datetime, list[Candidate], list[dict[str, object]]]]) -> list[SimulatedDay]:
    count: Counter[str] = Counter()
    items: dict[str, int] = defaultdict(int)
    for at, sent, _ in firings:
        day = at.strftime("%Y-%m-%d")
        count[day] += 1
        items[day] += len(sent)
    return [SimulatedDay(day=day, firings=count[day], items=items[day]) for day in sorted(count)]
