"""Request dependencies: the session, who is calling, what they may do, pagination, rate limits.

Permission is declared once per route with `Allow(...)` or `ProjectAccess(...)`, never in route bodies.

Dependencies that only read what the request already holds are `async def`: FastAPI runs a plain `def`
dependency in the thread pool, and each such hop costs a thread hand-off and an event-loop wake-up
(about a fifth of a simple request's CPU before this was done; docs/benchmarks.md, session 14). Those
that touch the database stay plain functions, off the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, params
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tripl_api import client_address as forwarded
from tripl_api.state import AppState
from tripl_core.access import accounts, api_keys
from tripl_core.access.principal import Need, Principal
from tripl_core.db.base import utcnow
from tripl_core.errors import NotAuthenticated
from tripl_core.pagination import MAX_OFFSET
from tripl_core.plan import projects
from tripl_core.plan.models import Project
from tripl_core.security import API_KEY_PREFIX

bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer tk_…`")
SESSION_COOKIE = "tripl_session"
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The session cookie set by Login")


async def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tripl
    return state


async def db_session(request: Request) -> Session:
    session: Session = request.state.db
    return session


DbSession = Annotated[Session, Depends(db_session)]
State = Annotated[AppState, Depends(app_state)]


def client_address(request: Request) -> str:
    """The socket's peer, or the forwarded client when the peer is a trusted proxy (tripl_api.client_address)."""
    return forwarded.client_address(request, request.app.state.tripl.trusted_proxies)


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
            if request.state.db_writes:
                principal.api_key.last_used_at = utcnow()
            else:  # keep read requests read-only; a separate short write never waits on this request
                await run_in_threadpool(_mark_key_used, state, principal)
    elif cookie:
        principal = await run_in_threadpool(accounts.principal_from_session_token, session, cookie)
    request.state.principal = principal
    return principal


def _mark_key_used(state: AppState, principal: Principal) -> None:
    assert principal.api_key is not None
    with state.db.unit_of_work() as session:
        api_keys.mark_key_used(session, principal.api_key.id)


async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise NotAuthenticated("Sign in (session cookie) or send an API key (Authorization: Bearer tk_…)")
    return principal


class Allow:
    """`Depends(Allow(Need.WRITE))`: the caller must hold the role and, for keys, the scope."""

    def __init__(self, need: Need, *, keys_allowed: bool = True, workspace_wide: bool = False) -> None:
        self.need = need
        self.keys_allowed = keys_allowed
        self.workspace_wide = workspace_wide

    async def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(self.need, keys_allowed=self.keys_allowed)
        if self.workspace_wide:
            principal.require_unbound("change the workspace beyond its project")
        return principal


class ProjectAccess:
    """`Depends(ProjectAccess(Need.READ))`: resolves `{slug}` and checks role, scope and key binding."""

    def __init__(self, need: Need) -> None:
        self.need = need

    def __call__(self, request: Request, slug: str, session: DbSession,
                 principal: Annotated[Principal, Depends(current_principal)]) -> Project:
        project = projects.get_by_slug(session, slug)
        principal.require_project(project.id, slug)
        principal.require(self.need)
        request.state.project = project
        return project


def rate_limited(action: str) -> params.Depends:
    def check(request: Request, state: State) -> None:
        rate = state.login_rate if action == "login" else state.register_rate
        state.limiter.hit(action, client_address(request), rate, what=action)

    return Depends(check)


# Every list route's offset: bounded in the schema, so a huge one is a 422, never a database error.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip (at most {MAX_OFFSET}).")]

Reader = Annotated[Principal, Depends(Allow(Need.READ))]
Writer = Annotated[Principal, Depends(Allow(Need.WRITE))]
Owner = Annotated[Principal, Depends(Allow(Need.ADMIN))]
# Workspace-wide changes (new projects, roles) are out of reach of a key bound to one project.
WorkspaceWriter = Annotated[Principal, Depends(Allow(Need.WRITE, workspace_wide=True))]
OwnerReader = Annotated[Principal, Depends(Allow(Need.ADMIN_READ))]
WorkspaceOwner = Annotated[Principal, Depends(Allow(Need.ADMIN, workspace_wide=True))]
SessionOnly = Annotated[Principal, Depends(Allow(Need.READ, keys_allowed=False))]
ProjectReader = Annotated[Project, Depends(ProjectAccess(Need.READ))]
ProjectWriter = Annotated[Project, Depends(ProjectAccess(Need.WRITE))]
ProjectOwner = Annotated[Project, Depends(ProjectAccess(Need.ADMIN))]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
