"""Project search (SEMANTICS §12): hybrid lexical/semantic over a branch's plan; reindex rebuilds it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from tripl_api.deps import DbSession, State
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import api_router
from tripl_core.search.documents import DocType
from tripl_core.search.schemas import ReindexOut, SearchOut

router = api_router("search", "/projects/{slug}/search")


@router.get("", response_model=SearchOut)
def search_project(scope: PlanReader, session: DbSession, state: State,
                   q: Annotated[str, Query(min_length=1, max_length=500)],
                   types: Annotated[list[DocType] | None, Query()] = None,
                   include_archived: bool = False,
                   limit: Annotated[int, Query(ge=1, le=100)] = 20) -> SearchOut:
    """Event types, events, fields, meta fields and variables best first; `types` narrows the kinds,
    archived events only with `include_archived`; `semantic_used` says whether embeddings took part."""
    results = state.search.search(session, scope.branch_id, q, types=[t.value for t in types or []],
                                  include_archived=include_archived, limit=limit)
    return SearchOut.of(results)


@router.post("/reindex", response_model=ReindexOut)
def reindex_project_search(scope: PlanWriter, session: DbSession, state: State) -> ReindexOut:
    """Rebuilds the branch's documents now; their embeddings follow in the background."""
    count, scheduled = state.search.reindex(session, scope.branch_id)
    return ReindexOut(documents_indexed=count, embeddings_scheduled=scheduled)
