"""A loopback ClickHouse HTTP interface served by chDB, so clickhouse-connect meets a real engine.

It implements the part of the protocol clickhouse-connect uses for reads: the query in the POST body
or the `query` URL argument, `param_<name>` values for server-side `{name:Type}` binding, `database`,
settings as URL arguments, the output format named by the query's FORMAT clause (clickhouse-connect
asks for Native), HTTP Basic credentials, `X-ClickHouse-*` response headers, and errors as status 500
with the engine's `Code: N. DB::Exception…` text. Queries run in the process-wide chDB session over the
Parquet folder, exactly as the chdb transport runs them.
"""

from __future__ import annotations

import base64
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.serving import serving
from tripl_core.warehouse.transports.chdb_engine import FolderEngine

# URL arguments that belong to the HTTP protocol rather than to query settings.
_PROTOCOL_ARGS = frozenset(
    {
        "query",
        "database",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "compress",
        "decompress",
        "default_format",
        "wait_end_of_query",
        "buffer_size",
        "user",
        "password",
        "quota_key",
        "enable_http_compression",
        "client_protocol_version",
        "http_headers_progress_interval_ms",
        "send_progress_in_http_headers",
        "cancel_http_readonly_queries_on_client_close",
    }
)


@dataclass(frozen=True)
class ChdbHttpServer:
    host: str
    port: int
    username: str
    password: str


class _Engine:
    """chDB allows one session per process: every loopback server of this test process shares it."""

    _session: object = None
    lock = threading.RLock()

    def __init__(self, folder: Path) -> None:
        with self.lock:
            if _Engine._session is None:
                from chdb import session as chdb_session

                _Engine._session = chdb_session.Session()
                _Engine._session.query("SET session_timezone = 'UTC'")  # type: ignore[attr-defined]
            self.views = FolderEngine(folder, _Engine._session)
            self.views.refresh()
        self.session = self.views.session


@contextmanager
def serve_clickhouse_http(folder: Path, username: str, password: str) -> Iterator[ChdbHttpServer]:
    engine = _Engine(folder.resolve())
    database = engine.views.database
    handler = _handler_class(engine, database, username, password)
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield ChdbHttpServer("127.0.0.1", int(server.server_address[1]), username, password)


def _handler_class(
    engine: _Engine, database: str, username: str, password: str
) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output is the record."""

        def do_GET(self) -> None:
            # clickhouse-connect's ping.
            self._reply(200, b"Ok.\n", {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            # Read the body even when refusing: left unread, it would be parsed as the next request on
            # this keep-alive connection (clickhouse-connect pools connections across clients).
            body = self.rfile.read(length).decode() if length else ""
            if self.headers.get("Authorization") != expected_auth:
                self._error(
                    516,
                    "Code: 516. DB::Exception: default: Authentication failed: password is "
                    "incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)",
                )
                return
            args = dict(
                urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
            )
            sql = args.get("query", "") + body
            params = {key[len("param_") :]: value for key, value in args.items() if key.startswith("param_")}
            settings = {
                key: value
                for key, value in args.items()
                if key not in _PROTOCOL_ARGS and not key.startswith("param_")
            }
            try:
                payload = self._run(sql, params, settings, args.get("default_format") or "TabSeparated")
            except Exception as error:  # the engine's message is what a real server would send
                self._error(500, str(error).strip().splitlines()[0])
                return
            self._reply(200, payload, {"X-ClickHouse-Timezone": "UTC", "X-ClickHouse-Summary": "{}"})

        def _run(self, sql: str, params: dict[str, str], settings: dict[str, str], fmt: str) -> bytes:
            # Settings apply to this query alone, as on a real server: a query-level SETTINGS clause
            # (placed before a trailing FORMAT), never a SET on the shared session.
            with engine.lock:
                engine.session.query(f"USE `{database}`")
                return bytes(engine.session.query(_with_settings(sql, settings), fmt, params=params or None).bytes())

        def _error(self, status: int, message: str) -> None:
            code = message.split(".")[0].removeprefix("Code: ") if message.startswith("Code: ") else "1"
            self._reply(status, message.encode(), {"X-ClickHouse-Exception-Code": code})

        def _reply(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


_TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)


def _with_settings(sql: str, settings: dict[str, str]) -> str:
    if not settings:
        return sql
    for name in settings:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"unexpected setting name {name!r}")
    clause = " SETTINGS " + ", ".join(f"{name} = {_literal(value)}" for name, value in settings.items())
    match = _TRAILING_FORMAT.search(sql)
    if match is None:
        return sql.rstrip().rstrip(";") + clause
    return sql[: match.start()] + clause + sql[match.start():]


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
