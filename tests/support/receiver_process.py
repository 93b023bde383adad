"""A webhook receiver in a process of its own (so that its work does not share the sender's interpreter):
a threaded HTTP/1.1 server on 127.0.0.1 with keep-alive, answering 500 to a share of POSTs at random
(seeded) and 200 to the others, counting the Idempotency-Key of every request it accepted. `GET /stats`
answers the counts as JSON. Run as `python -m tests.support.receiver_process [--fail-rate R] [--seed N]
[--delay S]`; it prints its port on the first line of stdout. `receiver_process()` starts and stops one."""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _State:
    def __init__(self, fail_rate: float, seed: int, delay: float) -> None:
        self.fail_rate, self.delay = fail_rate, delay
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = 0
        self.accepted: dict[str, int] = {}
        self.items = 0  # `items` of the webhook bodies accepted, each key counted once
        self.connections = 0


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            with state.lock:
                state.connections += 1

        def do_GET(self) -> None:
            with state.lock:
                body = json.dumps({"requests": state.requests, "failed": state.failed, "accepted": state.accepted,
                                   "items": state.items, "connections": state.connections}).encode()
            self._answer(200, body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.delay:
                time.sleep(state.delay)
            key = self.headers.get("Idempotency-Key") or ""
            with state.lock:
                state.requests += 1
                fail = state.rng.random() < state.fail_rate
                if fail:
                    state.failed += 1
                else:
                    state.accepted[key] = state.accepted.get(key, 0) + 1
                    if state.accepted[key] == 1:
                        state.items += len(json.loads(body or b"{}").get("items") or ())
            self._answer(500 if fail else 200, b'{"error": "boom"}' if fail else b'{"ok": true}')

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default listen backlog (5) drops connections a pooled sender opens at once


def serve(fail_rate: float, seed: int, delay: float) -> None:
    # A child inherits its parent thread's blocked signals, and libraries loaded earlier in a test process
    # may have blocked SIGTERM there: unblocked, `terminate()` stops this process at once.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = _Server(("127.0.0.1", 0), _handler(_State(fail_rate, seed, delay)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.05)


@dataclass
class ReceiverProcess:
    url: str
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as response:
            found: dict[str, Any] = json.loads(response.read())
            return found


@contextmanager
def receiver_process(fail_rate: float = 0.0, seed: int = 7, delay: float = 0.0) -> Iterator[ReceiverProcess]:
    process = subprocess.Popen([sys.executable, "-m", "tests.support.receiver_process", "--fail-rate",
                                str(fail_rate), "--seed", str(seed), "--delay", str(delay)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True, env=child_env())
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield ReceiverProcess(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def child_env() -> dict[str, str]:
    """The environment of a child process running this tree's code."""
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    serve(args.fail_rate, args.seed, args.delay)
