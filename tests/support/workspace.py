"""Builds users, sessions, keys and projects for API tests through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tripl_core.access import api_keys
from tripl_core.access.models import ApiKeyScope, AuthSession, User, UserRole
from tripl_core.access.schemas import ApiKeyCreateIn
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.plan import projects
from tripl_core.security import hash_password, new_token, token_digest

PASSWORD = "correct horse battery"
COOKIE = "tripl_session"


@dataclass
class Actor:
    """Sends requests as one principal: a session cookie or an API key (or nobody)."""

    client: TestClient
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    user: User | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        for name, value in self.cookies.items():
            self.client.cookies.set(name, value)
        response = self.client.request(method, url, headers={**self.headers, **kwargs.pop("headers", {})},
                                       **kwargs)
        self.client.cookies.clear()
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@dataclass
class Workspace:
    client: TestClient
    db: Database
    owner: Actor
    editor: Actor
    viewer: Actor
    anonymous: Actor

    @classmethod
    def create(cls, client: TestClient, db: Database) -> Workspace:
        actors = {role: _signed_in(client, db, role) for role in ("owner", "editor", "viewer")}
        return cls(client=client, db=db, anonymous=Actor(client), **actors)

    def attached(self, client: TestClient, db: Database) -> Workspace:
        """The same signed-in people on another client and database (a copy of the one they were made in)."""
        def moved(actor: Actor) -> Actor:
            return replace(actor, client=client)
        return Workspace(client=client, db=db, owner=moved(self.owner), editor=moved(self.editor),
                         viewer=moved(self.viewer), anonymous=moved(self.anonymous))

    def key(self, actor: Actor, scope: str = "write", project_slug: str | None = None,
            expires_in_days: int | None = None) -> Actor:
        assert actor.user is not None
        with self.db.unit_of_work() as session:
            user = session.get(User, actor.user.id)
            assert user is not None
            project_id = projects.get_by_slug(session, project_slug).id if project_slug is not None else None
            _, token = api_keys.create_key(session, user, ApiKeyCreateIn(
                name=f"{scope} key", scope=ApiKeyScope(scope), project_slug=project_slug,
                expires_in_days=expires_in_days), project_id)
        return Actor(self.client, headers={"Authorization": f"Bearer {token}"}, user=actor.user)

    def project(self, slug: str = "shop", name: str = "Shop") -> dict[str, Any]:
        response = self.owner.post("/api/v1/projects", json={"name": name, "slug": slug})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def _signed_in(client: TestClient, db: Database, role: str) -> Actor:
    # Rows are written directly with one precomputed hash: argon2 costs ~0.15 s a call, and the
    # register/login paths themselves are exercised over HTTP in test_auth.py.
    token = new_token()
    with db.unit_of_work() as session:
        user = User(email=f"{role}@example.com", name=role.title(), password_hash=_password_hash(),
                    role=UserRole(role).value)
        session.add(user)
        session.flush()
        session.add(AuthSession(user_id=user.id, token_hash=token_digest(token),
                                expires_at=utcnow() + timedelta(days=1)))  # seeded once, used all run
    return Actor(client, cookies={COOKIE: token}, user=user)


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)
