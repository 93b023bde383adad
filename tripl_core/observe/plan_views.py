"""Plan responses with what scans observed: events' `drift_count`, variables' observed contexts and the
projects' open-drift count. The plan does not import observations (observe sits above it), so its views
take them as arguments; this module passes them in, and every caller describes plan objects through it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.observe import contexts, schema_drifts
from tripl_core.plan import event_views, projects, variables
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.event_schemas import EventOut
from tripl_core.plan.models import Event, Project, Variable
from tripl_core.plan.schemas import ProjectOut
from tripl_core.plan.variable_schemas import VariableOut


def describe_events(session: Session, events: Sequence[Event]) -> list[EventOut]:
    return event_views.describe(session, events, schema_drifts.count_for_events)


def describe_event_rows(session: Session, events: Sequence[Event]) -> list[dict[str, Any]]:
    """`EventOut`-shaped plain data, for pages serialised without a model per event."""
    return event_views.describe_rows(session, events, schema_drifts.count_for_events)


def describe_variables(session: Session, scope: PlanScope, items: list[Variable]) -> list[VariableOut]:
    return variables.describe(session, scope, items, contexts.usage)


def describe_projects(session: Session, items: list[Project]) -> list[ProjectOut]:
    return projects.describe(session, items, [schema_drifts.open_counts])
