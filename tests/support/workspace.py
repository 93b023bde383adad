"""Builds users, sessions, keys and projects for API tests through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tripl_core.access import accounts, api_keys
from tripl_core.access.models import ApiKeyScope, User, UserRole
from tripl_core.access.schemas import ApiKeyCreateIn
from tripl_core.db.engine import Database

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

    def key(self, actor: Actor, scope: str = "write", project_slug: str | None = None,
            expires_in_days: int | None = None) -> Actor:
        assert actor.user is not None
        with self.db.unit_of_work() as session:
            user = session.get(User, actor.user.id)
            assert user is not None
            _, token = api_keys.create_key(session, user, ApiKeyCreateIn(
                name=f"{scope} key", scope=ApiKeyScope(scope), project_slug=project_slug,
                expires_in_days=expires_in_days))
        return Actor(self.client, headers={"Authorization": f"Bearer {token}"}, user=actor.user)

    def project(self, slug: str = "shop", name: str = "Shop") -> dict[str, Any]:
        response = self.owner.post("/api/v1/projects", json={"name": name, "slug": slug})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def _signed_in(client: TestClient, db: Database, role: str) -> Actor:
    email = f"{role}@example.com"
    with db.unit_of_work() as session:
        user = accounts.register(session, email=email, password=PASSWORD, name=role.title())
        user.role = UserRole(role).value
        _, token = accounts.login(session, email=email, password=PASSWORD, ttl_hours=1, ip=None)
    return Actor(client, cookies={COOKIE: token}, user=user)
