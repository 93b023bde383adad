"""Registers what observations add to plan responses: events' `drift_count`, the variable list's observed
contexts, and the projects' open-drift count."""

from __future__ import annotations

from tripl_core.observe import contexts, schema_drifts
from tripl_core.plan import event_views, variables
from tripl_core.plan.project_summary import CONTRIBUTORS


def register() -> None:
    if schema_drifts.count_for_events not in event_views.DRIFT_COUNTERS:
        event_views.DRIFT_COUNTERS.append(schema_drifts.count_for_events)
    if contexts.usage not in variables.CONTEXT_USAGE:
        variables.CONTEXT_USAGE.append(contexts.usage)
    if schema_drifts.open_counts not in CONTRIBUTORS:
        CONTRIBUTORS.append(schema_drifts.open_counts)
