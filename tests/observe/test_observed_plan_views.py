"""Plan views called outside the app (no FastAPI app built, nothing registered at start-up) still count
what scans observed: the plan's views take the observe counters as arguments, and `observe.plan_views`
passes them in."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.observe import plan_views
from tripl_core.observe.models import DriftStatus, SchemaDrift
from tripl_core.plan import event_views, projects
from tripl_core.plan.models import MAIN_BRANCH, Branch, BranchKind, Event, EventType, Project


def _plan_with_drifts(session: Session) -> tuple[Project, Event, Event]:
    project = Project(name="Shop", slug="shop")
    session.add(project)
    session.flush()
    main = Branch(project_id=project.id, name=MAIN_BRANCH, kind=BranchKind.main.value, status="approved")
    session.add(main)
    session.flush()
    clicks = EventType(project_id=project.id, branch_id=main.id, name="click", display_name="Click")
    session.add(clicks)
    session.flush()
    buy = Event(project_id=project.id, branch_id=main.id, event_type_id=clicks.id, name="buy", source_name="buy")
    view = Event(project_id=project.id, branch_id=main.id, event_type_id=clicks.id, name="view",
                 source_name="view")
    session.add_all([buy, view])
    session.flush()
    # one drift of the whole type (touches both events), one seen on `buy` only, one already resolved
    session.add_all([
        SchemaDrift(project_id=project.id, event_type_id=clicks.id, field_name="price", drift_type="type_changed"),
        SchemaDrift(project_id=project.id, event_type_id=clicks.id, field_name="coupon", drift_type="new_field",
                    source_names=["buy"]),
        SchemaDrift(project_id=project.id, event_type_id=clicks.id, field_name="old", drift_type="new_field",
                    status=DriftStatus.accepted.value)])
    session.flush()
    return project, buy, view


def test_events_and_projects_outside_the_app_count_open_drifts(db: Database) -> None:
    with db.unit_of_work() as session:
        project, buy, view = _plan_with_drifts(session)
        described = {e.name: e.drift_count for e in plan_views.describe_events(session, [buy, view])}
        rows = {row["name"]: row["drift_count"] for row in plan_views.describe_event_rows(session, [buy, view])}
        summary = plan_views.describe_projects(session, [project])[0].summary
    assert described == rows == {"buy": 2, "view": 1}
    assert summary["open_drifts"] == 2
    assert summary["events"] == 2
    assert summary["event_types"] == 1


def test_the_plan_alone_counts_only_what_it_is_given(db: Database) -> None:
    # The plan's views have no hidden registry: what the caller passes is all they report.
    with db.unit_of_work() as session:
        project, buy, view = _plan_with_drifts(session)
        bare = event_views.describe(session, [buy, view], lambda _session, _ids: {})
        summary = projects.describe(session, [project], [])[0].summary
    assert [e.drift_count for e in bare] == [0, 0]
    assert "open_drifts" not in summary
    assert summary["events"] == 2
