"""The search index as a Dagster asset: every open branch of every project reindexed and its documents
embedded (`sensors.search_index_freshness` requests it when the plan changed)."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from tripl_core.search import staleness
from tripl_pipelines.resources import AppDatabase


@asset(description="Search documents (lexical index) and embeddings of every open branch of every project.",
       group_name="search")
def search_index(context: AssetExecutionContext, app_db: AppDatabase) -> MaterializeResult:
    engine = app_db.search
    with app_db.unit_of_work() as session:
        branches = staleness.open_branches(session)
    documents = embedded = 0
    for branch_id in branches:
        with app_db.unit_of_work() as session:
            documents += engine.reindex_now(session, branch_id)
        embedded += engine.embed_branch(branch_id)
    context.log.info(f"search index: {len(branches)} branches, {documents} documents, {embedded} embedded")
    return MaterializeResult(metadata={"branches": len(branches), "documents": documents,
                                       "embedded": embedded})
