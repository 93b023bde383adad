"""Request dependencies: the session, who is calling, what they may do, pagination, rate limits.

Permission is declared once per route with `Allow(...)` or `ProjectAccess(...)`, never in route bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tripl_core.access import accounts, api_keys
from tripl_core.access.principal import Need, Principal
from tripl_core.errors import NotAuthenticated
from tripl_core.plan import projects
from tripl_core.plan.models import Project
from tripl_core.security import API_KEY_PREFIX
from tripl_api.state import AppState

bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer tk_…`")
SESSION_COOKIE = "tripl_session"
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The session cookie set by Login")


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tripl
    return state


def db_session(request: Request) -> Session:
    session: Session = request.state.db
    return session


DbSession = Annotated[Session, Depends(db_session)]
State = Annotated[AppState, Depends(app_state)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def optional_principal(
    request: Request,
    state: State,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal | None:
    principal: Principal | None = None
    if credentials is not None:
        if not credentials.credentials.startswith(API_KEY_PREFIX):
            raise NotAuthenticated("Bearer token is not a tripl API key (they start with tk_)")
        principal = await run_in_threadpool(api_keys.principal_from_api_key, session, credentials.credentials)
        assert principal.api_key is not None
        if api_keys.key_use_is_stale(principal.api_key):
            await run_in_threadpool(_mark_key_used, state, principal)
    elif cookie:
        principal = await run_in_threadpool(accounts.principal_from_session_token, session, cookie)
    request.state.principal = principal
    return principal


def _mark_key_used(state: AppState, principal: Principal) -> None:
    assert principal.api_key is not None
    with state.db.unit_of_work() as session:
        api_keys.mark_key_used(session, principal.api_key.id)


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise NotAuthenticated("Sign in (session cookie) or send an API key (Authorization: Bearer tk_…)")
    return principal


class Allow:
    """`Depends(Allow(Need.write))`: the caller must hold the role and, for keys, the scope."""

    def __init__(self, need: Need, *, keys_allowed: bool = True) -> None:
        self.need = need
        self.keys_allowed = keys_allowed

    def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(self.need, keys_allowed=self.keys_allowed)
        return principal


class ProjectAccess:
    """`Depends(ProjectAccess(Need.read))`: resolves `{slug}` and checks role, scope and key binding."""

    def __init__(self, need: Need) -> None:
        self.need = need

    def __call__(self, request: Request, slug: str, session: DbSession,
                 principal: Annotated[Principal, Depends(current_principal)]) -> Project:
        project = projects.get_by_slug(session, slug)
        principal.require_project(project.id, slug)
        principal.require(self.need)
        request.state.project = project
        return project


def rate_limited(action: str) -> object:
    def check(request: Request, state: State) -> None:
        rate = state.login_rate if action == "login" else state.register_rate
        state.limiter.hit(action, client_address(request), rate, what=action)

    return Depends(check)


Reader = Annotated[Principal, Depends(Allow(Need.read))]
Writer = Annotated[Principal, Depends(Allow(Need.write))]
Owner = Annotated[Principal, Depends(Allow(Need.admin))]
SessionOnly = Annotated[Principal, Depends(Allow(Need.read, keys_allowed=False))]
ProjectReader = Annotated[Project, Depends(ProjectAccess(Need.read))]
ProjectWriter = Annotated[Project, Depends(ProjectAccess(Need.write))]
ProjectOwner = Annotated[Project, Depends(ProjectAccess(Need.admin))]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
