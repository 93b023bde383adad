"""Accounts: registration, sign-in sessions and roles."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tripl_core.access.models import AuthSession, User, UserRole
from tripl_core.access.principal import Principal
from tripl_core.db.base import utcnow
from tripl_core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tripl_core.pagination import PageRequest
from tripl_core.security import dummy_password_hash, hash_password, new_token, token_digest, verify_password

BAD_CREDENTIALS = "Incorrect email or password"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def any_user(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def register(session: Session, *, email: str, password: str, name: str | None) -> User:
    """Create an account. The first account of the workspace becomes its owner, later ones viewers."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"An account with email {email} already exists")
    is_first = session.scalar(select(func.count()).select_from(User)) == 0
    user = User(email=email, name=name or None, password_hash=hash_password(password),
                role=(UserRole.owner if is_first else UserRole.viewer).value)
    session.add(user)
    session.flush()
    return user


def login(session: Session, *, email: str, password: str, ttl_hours: int, ip: str | None) -> tuple[User, str]:
    """Check the password and open a session; return the user and the raw cookie token."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    # Same message and the same hashing cost whether the email is unknown or the password wrong.
    if user is None:
        verify_password(dummy_password_hash(), password)
        raise NotAuthenticated(BAD_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated(BAD_CREDENTIALS)
    token = new_token()
    session.add(AuthSession(user_id=user.id, token_hash=token_digest(token),
                            expires_at=utcnow() + timedelta(hours=ttl_hours), ip_address=ip))
    session.flush()
    return user, token


def logout(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(AuthSession).where(AuthSession.token_hash == token_digest(token)))


def principal_from_session_token(session: Session, token: str) -> Principal:
    row = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_digest(token))
    ).first()
    if row is None:
        raise NotAuthenticated("Session is not valid; sign in again")
    auth_session, user = row
    if auth_session.expires_at <= utcnow():
        raise NotAuthenticated("Session has expired; sign in again")
    return Principal(user=user)


def list_users(session: Session, page: PageRequest) -> list[User]:
    return list(session.scalars(select(User).order_by(User.created_at, User.email)
                                .offset(page.offset).limit(page.limit)))


def update_role(session: Session, user_id: uuid.UUID, role: UserRole) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found")
    if user.role == UserRole.owner.value and role is not UserRole.owner:
        owners = session.scalar(select(func.count()).select_from(User).where(User.role == UserRole.owner.value))
        if owners == 1:
            raise InvalidInput(f"{user.email} is the last owner; make another user owner first")
    user.role = role.value
    session.flush()
    return user
