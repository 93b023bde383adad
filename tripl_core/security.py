"""Password hashing, random tokens and encryption of secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()  # argon2id, memory-hard, library defaults (RFC 9106 low-memory profile)

API_KEY_PREFIX = "tk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_password_hash() -> str:
    """Verifying against this keeps an unknown email as slow as a wrong password (no user enumeration by
    timing). Made on first use, not at import: argon2 costs ~0.2 s of CPU, and every process that imports
    this module (API, CLI, each Dagster run) would pay it whether or not anyone signs in."""
    return hash_password(secrets.token_urlsafe(16))


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are 256 random bits, so a fast digest is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


class SecretBox:
    """Encrypts secrets (warehouse passwords, destination tokens) with a key derived from settings."""

    def __init__(self, secret_key: str) -> None:
        derived = hashlib.sha256(b"tripl-secrets-v1:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured TRIPL_SECRET_KEY") from exc
