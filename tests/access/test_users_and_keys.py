from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from tests.support.workspace import Actor, Workspace
from tripl_core.access.models import ApiKey
from tripl_core.db.base import utcnow


def test_owner_changes_roles_and_the_last_owner_cannot_be_demoted(ws: Workspace) -> None:
    assert ws.owner.user is not None
    assert ws.viewer.user is not None
    promoted = ws.owner.patch(f"/api/v1/users/{ws.viewer.user.id}", json={"role": "editor"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "editor"
    refused = ws.owner.patch(f"/api/v1/users/{ws.owner.user.id}", json={"role": "viewer"})
    assert refused.status_code == 422
    assert "last owner" in refused.json()["detail"]
    assert ws.owner.get("/api/v1/auth/me").json()["role"] == "owner"
    ws.owner.patch(f"/api/v1/users/{ws.editor.user.id}", json={"role": "owner"})  # type: ignore[union-attr]
    assert ws.owner.patch(f"/api/v1/users/{ws.owner.user.id}", json={"role": "viewer"}).status_code == 200


def test_role_must_be_known_and_user_id_a_uuid(ws: Workspace) -> None:
    assert ws.viewer.user is not None
    bad_role = ws.owner.patch(f"/api/v1/users/{ws.viewer.user.id}", json={"role": "admin"})
    assert bad_role.status_code == 422
    assert "role" in bad_role.json()["detail"]
    bad_id = ws.owner.patch("/api/v1/users/not-a-uuid", json={"role": "editor"})
    assert bad_id.status_code == 422
    assert "user_id" in bad_id.json()["detail"]


def test_list_users_paginates(ws: Workspace) -> None:
    users = ws.viewer.get("/api/v1/users", params={"limit": 2, "offset": 1}).json()
    assert [u["email"] for u in users] == ["editor@example.com", "viewer@example.com"]
    assert ws.viewer.get("/api/v1/users", params={"limit": 0}).status_code == 422


def test_api_key_is_shown_once_and_works_as_bearer(ws: Workspace) -> None:
    created = ws.editor.post("/api/v1/me/api-keys", json={"name": "ci", "scope": "write", "expires_in_days": 30})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("tk_")
    assert created.json()["key_prefix"] == token[:10]
    listed = ws.editor.get("/api/v1/me/api-keys").json()
    assert [k["name"] for k in listed] == ["ci"]
    assert "token" not in listed[0]
    key = Actor(ws.client, headers={"Authorization": f"Bearer {token}"})
    assert key.get("/api/v1/auth/me").json()["email"] == "editor@example.com"
    assert ws.editor.get("/api/v1/me/api-keys").json()[0]["last_used_at"] is not None
    with ws.db.unit_of_work() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert token not in (stored.token_hash, stored.key_prefix)


def test_revoked_and_expired_keys_are_401(ws: Workspace) -> None:
    created = ws.owner.post("/api/v1/me/api-keys", json={"name": "old"}).json()
    key = Actor(ws.client, headers={"Authorization": f"Bearer {created['token']}"})
    assert ws.owner.delete(f"/api/v1/me/api-keys/{created['id']}").status_code == 204
    revoked = key.get("/api/v1/projects")
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]

    expiring = ws.key(ws.owner, "read", expires_in_days=1)
    with ws.db.unit_of_work() as session:
        session.execute(update(ApiKey).where(ApiKey.revoked_at.is_(None))
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = expiring.get("/api/v1/projects")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]

    garbage = Actor(ws.client, headers={"Authorization": "Bearer tk_nonsense"}).get("/api/v1/projects")
    assert garbage.status_code == 401
    assert garbage.headers["www-authenticate"] == "Bearer"


def test_key_creation_validates(ws: Workspace) -> None:
    assert ws.viewer.post("/api/v1/me/api-keys", json={"name": "w", "scope": "write"}).status_code == 403
    assert ws.owner.post("/api/v1/me/api-keys", json={"name": ""}).status_code == 422
    assert ws.owner.post("/api/v1/me/api-keys", json={"name": "x" * 101}).status_code == 422
    assert ws.owner.post("/api/v1/me/api-keys", json={"name": "x", "scope": "admin"}).status_code == 422
    assert ws.owner.post("/api/v1/me/api-keys", json={"name": "x", "expires_in_days": 0}).status_code == 422
    unknown = ws.owner.post("/api/v1/me/api-keys", json={"name": "x", "project_slug": "nope"})
    assert unknown.status_code == 404
    assert ws.owner.get("/api/v1/me/api-keys").json() == []
    assert ws.owner.delete(f"/api/v1/me/api-keys/{uuid.uuid4()}").status_code == 404


def test_a_key_cannot_revoke_another_users_key(ws: Workspace) -> None:
    created = ws.editor.post("/api/v1/me/api-keys", json={"name": "mine"}).json()
    assert ws.owner.delete(f"/api/v1/me/api-keys/{created['id']}").status_code == 404
    assert ws.editor.get("/api/v1/me/api-keys").json()[0]["revoked_at"] is None
