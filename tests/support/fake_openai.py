"""A fake OpenAI-compatible API on 127.0.0.1 for the AI tests: records every request and answers as told —
`good` (a scripted reply), `garbage` (not the asked JSON), `slow` (sleeps past the client's timeout),
`fail` (HTTP 500) — one mode per request from `modes`, then `default`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.serving import serving

Reply = Callable[[dict[str, Any]], str]


@dataclass
class FakeOpenAI:
    reply: Reply = field(default=lambda _request: "ok")
    modes: list[str] = field(default_factory=list)
    default: str = "good"
    slow_seconds: float = 3.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_mode(self) -> str:
        with self.lock:
            return self.modes.pop(0) if self.modes else self.default

    @property
    def chats(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "messages" in r]


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            with fake.lock:
                fake.requests.append(request)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            mode = fake.next_mode()
            if mode == "slow":
                time.sleep(fake.slow_seconds)
            if mode == "fail":
                self._send(500, {"error": {"message": "the model crashed"}})
                return
            if self.path.endswith("/embeddings"):
                inputs = request.get("input") or []
                self._send(200, {"data": [{"index": i, "embedding": [float(len(text) % 7 + 1), 1.0, 0.5]}
                                          for i, text in enumerate(inputs)]})
                return
            content = "Sure! Here you go: <not json>" if mode == "garbage" else fake.reply(request)
            self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": request.get("model"),
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": content}}]})

    return Handler


@contextmanager
def running_fake_openai(fake: FakeOpenAI | None = None) -> Iterator[FakeOpenAI]:
    fake = fake or FakeOpenAI()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))) as server:
        fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        yield fake
