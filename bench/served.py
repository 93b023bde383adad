"""The real API for the benchmarks that drive it over HTTP: a free loopback port, `uvicorn` (one worker) in
a child process with the given environment, and the wait until it answers /healthz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

CONFIGURED_APP = "tripl_cli.app:create_configured_app"  # what `tripl api` serves
BARE_APP = "tripl_api.main:create_app"  # no run launcher: for benchmarks that launch no scans


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(env: dict[str, str | None], port: int, *, app: str = CONFIGURED_APP, migrate: bool = True,
              log_level: str = "warning", extra_args: Sequence[str] = (),
              start_timeout: float = 300.0) -> subprocess.Popen[bytes]:
    """`env` is laid over this process's environment (TRIPL_STATE_DIR at least; None removes a variable).
    `migrate` runs `tripl db upgrade` first. The wait is generous: uvicorn imports the app, slow on a busy
    machine."""
    full_env = {name: value for name, value in {**os.environ, **env}.items() if value is not None}
    if migrate:
        tripl = str(Path(sys.executable).parent / "tripl")
        subprocess.run([tripl, "db", "upgrade"], env=full_env, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", log_level, "--no-access-log", *extra_args],
                              env=full_env)
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API exited with {server.returncode} before answering")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the API did not answer /healthz in time")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
