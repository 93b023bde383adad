from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.workspace import Workspace


def register(client: TestClient, email: str, password: str = "s3cret-pass", name: str | None = None):
    return client.post("/api/v1/auth/register", json={"email": email, "password": password, "name": name})


def test_first_account_is_owner_and_later_ones_viewers(client: TestClient) -> None:
    first = register(client, "Ada@Example.com", name="Ada")
    assert first.status_code == 201, first.text
    assert first.json()["role"] == "owner"
    assert first.json()["email"] == "ada@example.com"
    assert first.json()["created_at"].endswith("Z")
    client.cookies.clear()
    second = register(client, "bob@example.com")
    assert second.status_code == 201
    assert second.json()["role"] == "viewer"


def test_register_signs_in_and_logout_ends_the_session(client: TestClient) -> None:
    register(client, "ada@example.com")
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_login_sets_an_httponly_lax_cookie(client: TestClient) -> None:
    register(client, "ada@example.com", password="long-password")
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", json={"email": "ADA@example.com", "password": "long-password"})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "tripl_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/api/v1/auth/me").json()["email"] == "ada@example.com"


def test_wrong_password_and_unknown_email_answer_the_same(client: TestClient) -> None:
    register(client, "ada@example.com", password="long-password")
    client.cookies.clear()
    wrong = client.post("/api/v1/auth/login", json={"email": "ada@example.com", "password": "not-the-one"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "not-the-one"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"] == "Incorrect email or password"


def test_duplicate_email_is_a_conflict(client: TestClient) -> None:
    register(client, "ada@example.com")
    again = register(client, "ADA@example.com")
    assert again.status_code == 409
    assert "ada@example.com" in again.json()["detail"]


def test_register_validates_its_input(client: TestClient) -> None:
    short = register(client, "ada@example.com", password="short")
    assert short.status_code == 422
    assert "password" in short.json()["detail"]
    bad_email = register(client, "not-an-email")
    assert bad_email.status_code == 422
    assert "email" in bad_email.json()["detail"]
    wrong_type = client.post("/api/v1/auth/register", json={"email": "a@example.com", "password": 12345678})
    assert wrong_type.status_code == 422
    extra = client.post("/api/v1/auth/register",
                        json={"email": "a@example.com", "password": "long-password", "role": "owner"})
    assert extra.status_code == 422
    assert "role" in extra.json()["detail"]


def test_bad_session_cookie_is_401(client: TestClient) -> None:
    client.cookies.set("tripl_session", "forged")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_works_with_an_api_key(ws: Workspace) -> None:
    key = ws.key(ws.editor, scope="read")
    assert key.get("/api/v1/auth/me").json()["email"] == "editor@example.com"
