from __future__ import annotations

from fastapi.testclient import TestClient

from tripl_api.main import create_app
from tripl_core.settings import Settings


def test_every_failure_uses_one_json_shape(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        crashed = client.get("/boom")
        assert crashed.status_code == 500
        assert crashed.json() == {"detail": "Internal server error; the failure was logged",
                                  "code": "internal_error", "errors": []}
        unknown_route = client.get("/api/v1/nope")
        assert unknown_route.status_code == 404
        assert unknown_route.json()["code"] == "not_found"
        wrong_method = client.put("/api/v1/projects")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["code"] == "method_not_allowed"
        anonymous = client.get("/api/v1/projects")
        assert set(anonymous.json()) == {"detail", "code", "errors"}
