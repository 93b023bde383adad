"""Personal API keys: shown once, stored as a digest, with scope, optional project binding and expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tripl_core.access.models import ApiKey, ApiKeyScope, User, UserRole
from tripl_core.access.principal import Principal
from tripl_core.access.schemas import ApiKeyCreateIn
from tripl_core.db.base import utcnow
from tripl_core.errors import NotAuthenticated, NotFound, PermissionDenied
from tripl_core.security import API_KEY_PREFIX, new_token, token_digest

# Writing last_used_at on every request would turn reads into writes; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def list_keys(session: Session, user: User) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at)))


def create_key(session: Session, user: User, data: ApiKeyCreateIn,
               project_id: uuid.UUID | None) -> tuple[ApiKey, str]:
    """`project_id`: the project `data.project_slug` names, found by the caller (projects are the plan's)."""
    if data.scope is ApiKeyScope.write and user.role == UserRole.viewer.value:
        raise PermissionDenied("Viewers can create read keys only")
    token = new_token(API_KEY_PREFIX)
    key = ApiKey(user_id=user.id, name=data.name, key_prefix=token[:10], token_hash=token_digest(token),
                 scope=data.scope.value, project_id=project_id,
                 expires_at=utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None)
    session.add(key)
    session.flush()
    return key, token


def revoke_key(session: Session, user: User, key_id: uuid.UUID) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id))
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def principal_from_api_key(session: Session, token: str) -> Principal:
    row = session.execute(
        select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.token_hash == token_digest(token))
    ).first()
    if row is None:
        raise NotAuthenticated("API key is not valid")
    key, user = row
    now = utcnow()
    if key.revoked_at is not None:
        raise NotAuthenticated(f"API key '{key.name}' was revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise NotAuthenticated(f"API key '{key.name}' expired at {key.expires_at.isoformat()}")
    return Principal(user=user, api_key=key)


def key_use_is_stale(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at >= LAST_USED_RESOLUTION


def mark_key_used(session: Session, key_id: uuid.UUID) -> None:
    """Record use in its own small write, so read requests stay read-only transactions."""
    now = utcnow()
    session.execute(update(ApiKey).where(ApiKey.id == key_id)
                    .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION))
                    .values(last_used_at=now))
