"""The search index in Dagster: pipeline writes update the lexical index in their own transaction; the
sensor asks for the search_index asset when the plan changed; a real materialisation embeds every
document."""

from __future__ import annotations

from dagster import DagsterInstance, RunRequest, SkipReason, build_resources, build_sensor_context, materialize
from sqlalchemy import func, select

from tripl_core.db.engine import Database
from tripl_core.plan.models import Branch, BranchKind, EventType, Project
from tripl_core.search.models import SearchDocument
from tripl_pipelines.assets.search import search_index
from tripl_pipelines.resources import AppDatabase
from tripl_pipelines.sensors import search_index_freshness


def _project(db: Database) -> Branch:
    with db.unit_of_work() as session:
        project = Project(name="Shop", slug="shop")
        session.add(project)
        session.flush()
        branch = Branch(project_id=project.id, name="main", kind=BranchKind.main.value)
        session.add(branch)
        session.flush()
        return branch


def test_pipeline_writes_are_indexed_and_the_asset_embeds_them(db: Database, database_url: str) -> None:
    branch = _project(db)
    resource = AppDatabase(database_url=database_url)
    with build_resources({"app_db": resource}) as pipelines:  # the pipelines' database, as a run sets it up
        with pipelines.app_db.unit_of_work() as session:  # a write through it, as a catalog scan makes
            session.add(EventType(project_id=branch.project_id, branch_id=branch.id, name="checkout",
                                  display_name="Checkout", description="Paying for the basket"))
        pipelines.app_db.search.queue.close()  # the asset embeds, not the background queue of this process
    with db.unit_of_work() as session:
        row = session.scalar(select(SearchDocument).where(SearchDocument.branch_id == branch.id))
        assert row is not None
        assert row.title == "Checkout"

    instance = DagsterInstance.ephemeral()
    with build_sensor_context(instance=instance, resources={"app_db": resource}) as context:
        request = search_index_freshness(context)
    assert isinstance(request, RunRequest)
    with build_sensor_context(instance=instance, cursor=context.cursor, resources={"app_db": resource}) as again:
        assert isinstance(search_index_freshness(again), SkipReason)

    with db.unit_of_work() as session:
        session.execute(SearchDocument.__table__.update().values(embedding=None, embedded_hash=None))
    result = materialize([search_index], resources={"app_db": resource}, instance=instance)
    assert result.success
    metadata = result.asset_materializations_for_node("search_index")[0].metadata
    assert metadata["documents"].value == 1
    assert metadata["embedded"].value == 1
    with db.unit_of_work() as session:
        embedded = session.scalar(select(func.count()).select_from(SearchDocument)
                                  .where(SearchDocument.embedding.is_not(None)))
    assert embedded == 1
