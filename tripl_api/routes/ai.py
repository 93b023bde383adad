"""AI descriptions and questions (SEMANTICS §13): 409 `ai_disabled` when off, 502 naming the provider's
failure; nothing here writes to the plan."""

from __future__ import annotations

from tripl_api.deps import DbSession, State
from tripl_api.plan_deps import PlanReader
from tripl_api.routing import api_router
from tripl_core.ai import ask, config, describe
from tripl_core.ai.schemas import AiStatusOut, AskIn, AskOut, DescribeEventIn, DescribeEventTypeIn, DescribeOut

router = api_router("ai", "/projects/{slug}/ai")
READ_ONLY = {"x-read-only": True}


@router.get("/status", response_model=AiStatusOut)
def ai_status(_scope: PlanReader, session: DbSession, state: State) -> AiStatusOut:
    """`enabled`: AI is switched on and a base URL and model are configured."""
    return AiStatusOut(enabled=config.enabled(state.store.effective(session).ai))


@router.post("/describe-event", response_model=DescribeOut, openapi_extra=READ_ONLY)
def describe_event(body: DescribeEventIn, scope: PlanReader, session: DbSession, state: State) -> DescribeOut:
    """A proposed description and field suggestions for the event; nothing is saved."""
    ai = state.store.effective(session).ai
    return describe.describe_event(session, scope, config.chat_model(ai), ai, body.event_id)


@router.post("/describe-event-type", response_model=DescribeOut, openapi_extra=READ_ONLY)
def describe_event_type(body: DescribeEventTypeIn, scope: PlanReader, session: DbSession,
                        state: State) -> DescribeOut:
    ai = state.store.effective(session).ai
    return describe.describe_event_type(session, scope, config.chat_model(ai), ai, body.event_type_id)


@router.post("/ask", response_model=AskOut, openapi_extra=READ_ONLY)
def ask_plan(body: AskIn, scope: PlanReader, session: DbSession, state: State) -> AskOut:
    """An answer from the plan's top search documents, citing the ones it used as `sources`."""
    ai = state.store.effective(session).ai
    return ask.ask(session, state.search, scope.branch_id, config.chat_model(ai), ai, body.question)
