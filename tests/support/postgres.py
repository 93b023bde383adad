"""A throw-away PostgreSQL server for the test suite.

The server is started from the machine's installed PostgreSQL binaries into a temporary directory.
`initdb` refuses to run as root, so when the tests run as root the server runs as the `postgres` OS
user (`runuser -u postgres --`). When `TRIPL_TEST_POSTGRES_URL` is set, that server is used instead.
Its data directory is in memory when the machine allows (tests/support/scratch.py says why).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.scratch import memory_folder


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str, driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def libpq_dsn(self, database: str) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str) -> str:
        """Create (or re-create) a database and return its SQLAlchemy URL."""
        with psycopg.connect(self.libpq_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Yield a PostgreSQL server: the one in TRIPL_TEST_POSTGRES_URL, or a fresh local one."""
    external = os.environ.get("TRIPL_TEST_POSTGRES_URL")
    if external:
        yield _server_from_url(external)
        return

    bin_dir = _bin_dir()
    root = memory_folder("pg")
    data_dir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    port = _free_port()
    log_file = root / "server.log"
    subprocess.run(
        _as_postgres_user([str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres",
                           "-E", "UTF8", "--no-locale"]),
        check=True, capture_output=True,
    )
    options = (f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
               # the data directory may be in memory: keep the write-ahead log it holds small
               "-c max_wal_size=256MB")
    subprocess.run(
        _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-o", options,
                           "-w", "-t", "60", "start"]),
        check=True, capture_output=True,
    )
    server = PostgresServer(host="127.0.0.1", port=port, user="postgres")
    try:
        _wait_until_ready(server)
        yield server
    finally:
        subprocess.run(
            _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"]),
            check=False, capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.libpq_dsn("postgres"), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _server_from_url(url: str) -> PostgresServer:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.password:
        os.environ.setdefault("PGPASSWORD", parsed.password)
    return PostgresServer(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                          user=parsed.username or "postgres")
