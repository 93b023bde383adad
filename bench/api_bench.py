"""Throughput and latency of the real API server under concurrent clients.

Starts `tripl api` (uvicorn, one worker) on a loopback port with a fresh state directory (SQLite by
default, or --database-url), signs in, creates a few projects, then drives each endpoint with N
concurrent clients for a fixed number of requests. Prints requests/s, p50 and p95, and each endpoint's
p50 relative to `/healthz` (no database, no auth) measured in the same run, because absolute numbers on
a shared 2-core machine move from run to run.

    .venv/bin/python bench/api_bench.py [--clients 32] [--requests 3000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ENDPOINTS = ["/healthz", "/api/v1/projects", "/api/v1/auth/me"]
sys.path.insert(0, str(Path(__file__).parent))
from served import free_port, start_api, stop  # noqa: E402


async def drive(base: str, path: str, cookies: dict[str, str], clients: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return total / elapsed, latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as state:
        server = start_api({"TRIPL_STATE_DIR": state, "TRIPL_REGISTER_RATE_LIMIT": "100/minute",
                            "TRIPL_LOGIN_RATE_LIMIT": "100/minute",
                            **({"TRIPL_DATABASE_URL": args.database_url} if args.database_url else {})}, port)
        try:
            with httpx.Client(base_url=base) as client:
                client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": "bench-password"})
                for i in range(args.projects):
                    client.post("/api/v1/projects", json={"name": f"Project {i}", "slug": f"project-{i}"})
                cookies = dict(client.cookies)
            asyncio.run(drive(base, "/api/v1/projects", cookies, args.clients, 200))  # warm up
            results = {path: asyncio.run(drive(base, path, cookies, args.clients, args.requests))
                       for path in ENDPOINTS}
        finally:
            stop(server)

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.clients} concurrent clients, {args.requests} requests per endpoint, app database {backend}")
    print(f"{'endpoint':<22}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p50 / healthz':>16}")
    base_p50 = percentile(results["/healthz"][1], 50)
    for path, (rps, latencies) in results.items():
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(f"GET {path:<18}{rps:>10.0f}{p50 * 1000:>10.1f}{p95 * 1000:>10.1f}{p50 / base_p50:>16.2f}")


if __name__ == "__main__":
    main()
