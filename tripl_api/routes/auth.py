from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from tripl_api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    DbSession,
    State,
    client_address,
    cookie_scheme,
    optional_principal,
    rate_limited,
)
from tripl_api.routing import api_router
from tripl_api.state import AppState
from tripl_core.access import accounts
from tripl_core.access.principal import Principal
from tripl_core.access.schemas import LoginIn, RegisterIn, UserOut
from tripl_core.errors import PermissionDenied
from tripl_core.service_settings.schema import Registration

router = api_router("auth", "/auth")


def _open_session(state: AppState, request: Request, response: Response, session: DbSession,
                  email: str, password: str) -> accounts.User:
    security = state.store.current().security  # the service settings: changes apply without a restart
    user, token = accounts.login(session, email=email, password=password,
                                 ttl_hours=security.session_ttl_hours, ip=client_address(request))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=security.cookie_secure, max_age=security.session_ttl_hours * 3600)
    request.state.principal = Principal(user=user)
    return user


@router.post("/register", response_model=UserOut, status_code=201, dependencies=[rate_limited("register")])
def register(body: RegisterIn, request: Request, response: Response, session: DbSession, state: State) -> UserOut:
    """Create an account and sign it in. The first account of a workspace becomes its owner; later ones only
    while the service settings leave registration open."""
    if state.store.current().security.registration == Registration.disabled and accounts.any_user(session):
        raise PermissionDenied("Registration is disabled on this service; ask an owner to invite you")
    accounts.register(session, email=body.email, password=body.password, name=body.name)
    user = _open_session(state, request, response, session, body.email, body.password)
    return UserOut.model_validate(user)


@router.post("/login", response_model=UserOut, dependencies=[rate_limited("login")])
def login(body: LoginIn, request: Request, response: Response, session: DbSession, state: State) -> UserOut:
    """Check the password and set the session cookie (HttpOnly, SameSite=Lax, one week)."""
    return UserOut.model_validate(_open_session(state, request, response, session, body.email, body.password))


@router.post("/logout", status_code=204, response_class=Response)
async def logout(session: DbSession, cookie: Annotated[str | None, Depends(cookie_scheme)],
                 _principal: Annotated[Principal | None, Depends(optional_principal)]) -> Response:
    """End the current session and clear its cookie."""
    await run_in_threadpool(accounts.logout, session, cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", response_model=UserOut)
def get_me(principal: CurrentPrincipal) -> UserOut:
    """The signed-in user (or the owner of the API key)."""
    return UserOut.model_validate(principal.user)
