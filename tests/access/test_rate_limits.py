from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tripl_api.main import create_app
from tripl_core.settings import Settings


@pytest.fixture
def strict_client(settings: Settings) -> Iterator[TestClient]:
    strict = settings.model_copy(update={"login_rate_limit": "5/minute", "register_rate_limit": "3/hour"})
    with TestClient(create_app(strict)) as client:
        yield client


def test_login_is_limited_to_five_a_minute(strict_client: TestClient) -> None:
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses = [strict_client.post("/api/v1/auth/login", json=body).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    limited = strict_client.post("/api/v1/auth/login", json=body)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Too many login attempts" in limited.json()["detail"]


def test_register_is_limited_to_three_an_hour(strict_client: TestClient) -> None:
    statuses = [strict_client.post("/api/v1/auth/register",
                                   json={"email": f"u{i}@example.com", "password": "long-password"}).status_code
                for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert strict_client.post("/api/v1/auth/login",
                              json={"email": "u3@example.com", "password": "long-password"}).status_code == 401
