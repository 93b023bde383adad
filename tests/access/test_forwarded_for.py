"""X-Forwarded-For is believed only from a configured trusted proxy: a client cannot beat the login limit
by sending a new address each time. Served by a real uvicorn with the options every tripl server uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tripl_api.client_address import SERVER_OPTIONS
from tripl_api.main import create_app
from tripl_core.settings import Settings

pytestmark = pytest.mark.engine_independent

LOGIN = {"email": "nobody@example.com", "password": "wrong-password"}


@contextmanager
def served(app_or_settings: Settings | FastAPI) -> Iterator[str]:
    """The app on a loopback port, served by uvicorn in a thread with tripl's server options."""
    app = create_app(app_or_settings) if isinstance(app_or_settings, Settings) else app_or_settings
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _logins(base: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base) as client:
        return [client.post("/api/v1/auth/login", json=LOGIN, headers={"X-Forwarded-For": address}).status_code
                for address in forwarded]


def test_forwarded_for_from_an_untrusted_client_does_not_beat_the_login_limit(settings: Settings) -> None:
    strict = settings.model_copy(update={"login_rate_limit": "5/minute"})
    with served(strict) as base:
        statuses = _logins(base, [f"203.0.113.{i}" for i in range(7)])
    assert statuses == [401] * 5 + [429] * 2


def test_a_trusted_proxy_forwards_its_clients_addresses(settings: Settings) -> None:
    behind_proxy = settings.model_copy(update={"login_rate_limit": "5/minute", "trusted_proxies": "127.0.0.1/32"})
    with served(behind_proxy) as base:
        assert _logins(base, [f"203.0.113.{i}" for i in range(7)]) == [401] * 7
        # The rightmost untrusted hop is the client: a spoofed left part does not help it.
        assert _logins(base, [f"10.9.9.{i}, 198.51.100.7" for i in range(7)]) == [401] * 5 + [429] * 2
