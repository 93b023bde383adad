"""Registers what observations add to plan responses: events' `drift_count`, the variable list's observed
contexts, and the projects' open-drift count."""

from __future__ import annotations

from tripl_core.observe import contexts, drifts
from tripl_core.plan import event_views, variables
from tripl_core.plan.summary import CONTRIBUTORS


def register() -> None:
    if drifts.count_for_events not in event_views.DRIFT_COUNTERS:
        event_views.DRIFT_COUNTERS.append(drifts.count_for_events)
    if contexts.usage not in variables.CONTEXT_USAGE:
        variables.CONTEXT_USAGE.append(contexts.usage)
    if drifts.open_counts not in CONTRIBUTORS:
        CONTRIBUTORS.append(drifts.open_counts)
