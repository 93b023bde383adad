"""Local stand-ins for third-party services on 127.0.0.1: an HTTP server recording every request (Slack,
Telegram, Jira, Linear, webhooks) with scripted faults, and an SMTP server (aiosmtpd) recording mail."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.serving import serving

Fault = str  # "ok" | "500" | "timeout" | "drop" | "redirect:<url>"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None = None  # the status sent back (None: no answer, the connection was dropped)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """`faults` is consumed one per request (then "ok"); `decide` overrides it per request when set.
    `accepted` lists requests answered 2xx whose Idempotency-Key (when sent) was not accepted before."""

    faults: list[Fault] = field(default_factory=list)
    decide: Callable[[Received], Fault] | None = None
    ok_body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    hang_seconds: float = 3.0
    requests: list[Received] = field(default_factory=list)
    accepted_keys: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.answered is not None and 200 <= r.answered < 300]

    def next_fault(self, received: Received) -> Fault:
        if self.decide is not None:
            return self.decide(received)
        with self.lock:
            return self.faults.pop(0) if self.faults else "ok"


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                self.rfile.read(length))
            with receiver.lock:
                receiver.requests.append(received)
            fault = receiver.next_fault(received)
            if fault == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if fault == "timeout":
                time.sleep(receiver.hang_seconds)
                self.close_connection = True
                return
            if fault.startswith("redirect:"):
                self._answer(received, 307, b"", location=fault.removeprefix("redirect:"))
                return
            if fault == "500":
                self._answer(received, 500, b'{"error": "boom"}')
                return
            key = received.headers.get("idempotency-key")
            if key is not None:
                with receiver.lock:
                    receiver.accepted_keys[key] = receiver.accepted_keys.get(key, 0) + 1
            self._answer(received, 200, json.dumps(receiver.ok_body).encode())

        def _answer(self, received: Received, status: int, body: bytes, location: str | None = None) -> None:
            received.answered = status
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def http_receiver(**kwargs: Any) -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(**kwargs)
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))) as server:
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield receiver


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: Message


@dataclass
class SmtpReceiver:
    host: str = "127.0.0.1"
    port: int = 0
    mails: list[Mail] = field(default_factory=list)


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    from aiosmtpd.controller import Controller

    receiver = SmtpReceiver()

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            receiver.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                                       message_from_bytes(envelope.content)))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        receiver.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
