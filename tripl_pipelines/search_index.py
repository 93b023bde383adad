"""The search index as a Dagster asset: every open branch of every project reindexed and its documents
embedded; a sensor materialises it when the plan changed (or documents wait for their vectors) since the
last request — so writes made where no embedder ran (a finished run's process) still get vectors."""


from dagster import (
    AssetExecutionContext,
    DagsterRunStatus,
    DefaultSensorStatus,
    MaterializeResult,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    sensor,
)

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


ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
          DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
search_index_job = define_asset_job("search_index_job", selection=[search_index],
                                    description="Rebuilds the search index and its embeddings.")


@sensor(job=search_index_job, minimum_interval_seconds=120, default_status=DefaultSensorStatus.RUNNING,
        description="Materialises search_index when the plan changed or documents lack embeddings.")
def search_index_freshness(context: SensorEvaluationContext, app_db: AppDatabase) -> RunRequest | SkipReason:
    in_flight = context.instance.get_runs(filters=RunsFilter(job_name=search_index_job.name, statuses=ACTIVE),
                                          limit=1)
    if in_flight:  # one rebuild at a time: the next tick sees what changed meanwhile
        return SkipReason("a search_index run is queued or running")
    with app_db.unit_of_work() as session:
        stamp = staleness.plan_stamp(session)
    if stamp == context.cursor:
        return SkipReason("the plan has not changed since the search index was last requested")
    context.update_cursor(stamp)
    return RunRequest(run_key=stamp)
