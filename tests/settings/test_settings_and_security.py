from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from tripl_core.db.engine import Database
from tripl_core.security import SecretBox, hash_password, token_digest, verify_password
from tripl_core.settings import Settings, normalise_database_url


def test_defaults_live_in_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TRIPL_STATE_DIR", "TRIPL_DATABASE_URL", "TRIPL_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.state_dir == tmp_path / ".tripl"
    assert settings.resolved_database_url == f"sqlite+pysqlite:///{tmp_path / '.tripl' / 'tripl.db'}"


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(state_dir=tmp_path).resolved_secret_key
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(state_dir=tmp_path).resolved_secret_key == first
    assert len(first) >= 40
    assert Settings(state_dir=tmp_path, secret_key="given").resolved_secret_key == "given"


def test_environment_variables_use_the_tripl_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPL_STATE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TRIPL_DATABASE_URL", "postgresql://u:p@db:5432/tripl")
    settings = Settings()
    assert settings.state_dir == tmp_path / "elsewhere"
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@db:5432/tripl"


def test_postgres_urls_get_the_psycopg_driver() -> None:
    assert normalise_database_url("postgres://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("postgresql+psycopg://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+pysqlite:///{tmp_path / 'x.db'}", sqlite_busy_timeout_ms=1234)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_secrets_round_trip_and_need_the_same_key() -> None:
    box = SecretBox("key one")
    sealed = box.encrypt("hunter2")
    assert "hunter2" not in sealed
    assert box.decrypt(sealed) == "hunter2"
    assert box.encrypt("hunter2") != sealed  # fresh IV each time
    with pytest.raises(ValueError, match="TRIPL_SECRET_KEY"):
        SecretBox("key two").decrypt(sealed)


def test_passwords_are_hashed_with_argon2id() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password("not a hash", "correct horse")
    assert token_digest("a") != token_digest("b")
