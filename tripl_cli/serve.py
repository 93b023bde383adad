from __future__ import annotations

import typer


def api(host: str = typer.Option("127.0.0.1", help="Address to listen on"),
        port: int = typer.Option(8000, help="Port to listen on"),
        workers: int = typer.Option(1, help="Worker processes")) -> None:
    """Serve the REST API (docs at /docs, schema at /openapi.json)."""
    # the server and the API are loaded by this command only, not by every `tripl` start
    import uvicorn

    from tripl_api.client_address import SERVER_OPTIONS

    uvicorn.run("tripl_cli.app:create_configured_app", factory=True, host=host, port=port, workers=workers,
                **SERVER_OPTIONS)
