"""Memory of a real API process under a long fuzz run (SEMANTICS §9: no request makes the API hold more
than a few hundred MiB).

Starts the API (uvicorn, one worker, `tripl_cli.app:create_configured_app`) on a loopback port with a fresh
state directory, signs up the owner, creates real objects (project, event type, field, event, data source
over a small chDB lake, scan config with an interval, webhook destination with a rule), then sends
schemathesis-generated requests for every operation of the OpenAPI document (path ids replaced by the real
ones), plus the requests that used to be expensive (the widest metric ranges, the largest pages, bodies at
the size limit). Reports the server's resident set size (VmRSS, and the peak VmHWM) sampled from /proc, the
number of requests and the status classes; exits non-zero on a 5xx or when the peak passes the budget.

    .venv/bin/python bench/fuzz_memory.py [--examples 25] [--budget-mib 500]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pyarrow as pa
import pyarrow.parquet as pq
import requests
import schemathesis
from hypothesis import HealthCheck, given

WRITE_METHODS_KEEPING_IDS = frozenset({"GET", "POST", "PATCH", "PUT"})
sys.path.insert(0, str(Path(__file__).parent))
from served import free_port, start_api, stop  # noqa: E402


def memory_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def make_lake(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    pq.write_table(pa.table({
        "id": pa.array(range(2000), pa.int64()),
        "ts": pa.array([(now - i * 60) * 1_000_000 for i in range(2000)], pa.timestamp("us", tz="UTC")),
        "category": pa.array([f"event_{i % 7}" for i in range(2000)], pa.string()),
        "properties": pa.array(['{"plan": "pro"}'] * 2000, pa.string()),
    }), folder / "events.parquet")
    return folder


def setup(client: httpx.Client, lake: Path) -> dict[str, str]:
    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body)
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created

    made("/api/v1/auth/register", {"email": "owner@example.com", "password": "long-enough-password"})
    client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "long-enough-password"})
    p = "/api/v1/projects/shop"
    made("/api/v1/projects", {"name": "Shop", "slug": "shop"})
    event_type = made(p + "/event-types", {"name": "checkout"})
    field = made(f"{p}/event-types/{event_type['id']}/fields",
                 {"name": "screen", "display_name": "Screen", "field_type": "string"})
    event = made(p + "/events", {"event_type_id": event_type["id"], "name": "checkout_done"})
    source = made("/api/v1/data-sources", {"name": "lake", "db_type": "chdb", "path": str(lake)})
    scan = made(p + "/scans", {"data_source_id": source["id"], "name": "events", "interval": "15m",
                               "base_query": "SELECT id, ts, category, properties FROM events",
                               "event_type_column": "category", "time_column": "ts"})
    destination = made(p + "/alert-destinations", {"type": "webhook", "name": "hook",
                                                   "target_url": "https://hooks.example.com/x"})
    rule = made(f"{p}/alert-destinations/{destination['id']}/rules", {"name": "all"})
    key = made("/api/v1/me/api-keys", {"name": "fuzz", "scope": "write"})
    return {"slug": "shop", "event_type_id": event_type["id"], "field_id": field["id"], "event_id": event["id"],
            "ds_id": source["id"], "scan_config_id": scan["id"], "scan_id": scan["id"],
            "destination_id": destination["id"], "rule_id": rule["id"], "token": key["token"]}


def heavy_requests(client: httpx.Client, ids: dict[str, str], statuses: collections.Counter[int]) -> None:
    p = "/api/v1/projects/shop"
    wide = {"time_from": "1970-01-01T00:00:00Z", "time_to": "2199-12-31T00:00:00Z"}
    near_cap = {"time_from": "2024-01-01T00:00:00Z", "time_to": "2024-07-29T00:00:00Z"}  # ~20,000 buckets
    for _ in range(20):
        for body in (wide, near_cap):
            statuses[client.post(p + "/events/window-metrics",
                                 json={"event_ids": [ids["event_id"]] * 10, **body}).status_code] += 1
        statuses[client.get(p + "/metrics/total", params={"from": near_cap["time_from"],
                                                          "to": near_cap["time_to"]}).status_code] += 1
        statuses[client.get(p + "/events", params={"limit": 10_000, "offset": 2**63}).status_code] += 1
        statuses[client.get("/api/v1/audit", params={"limit": 200}).status_code] += 1
        statuses[client.post(p + "/events", content=b"x" * (10 * 1024 * 1024 + 1),
                             headers={"content-type": "application/json"}).status_code] += 1


def fuzz(base: str, ids: dict[str, str], examples: int, statuses: collections.Counter[int],
         failures: list[str], server_pid: int, growth: list[tuple[float, str]], only: str = "") -> None:
    """Every operation (or those whose label contains `only`); `growth` gets each operation's RSS change."""
    document = httpx.get(f"{base}/openapi.json", timeout=300).json()  # a loaded machine answers slowly
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {ids['token']}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        if only and only not in operation.label:
            continue
        before, _ = memory_mib(server_pid)

        @given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
        def send(case: schemathesis.Case) -> None:
            if case.path_parameters and case.method.upper() in WRITE_METHODS_KEEPING_IDS:
                for name in case.path_parameters:
                    if name in ids:
                        case.path_parameters[name] = ids[name]
            try:
                response = case.call(base_url=base, headers=headers, timeout=180)  # a loaded machine is slow
            except requests.RequestException as error:  # recorded, not fatal: the run goes on
                failures.append(f"{case.method} {case.formatted_path}: no answer ({type(error).__name__})")
                return
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} "
                                f"{response.text[:300]}")

        send()
        after, _ = memory_mib(server_pid)
        growth.append((after - before, operation.label))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=25, help="generated requests per operation")
    parser.add_argument("--budget-mib", type=float, default=500)
    parser.add_argument("--only", default="", help="fuzz only operations whose label contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tripl-fuzz-bench-") as tmp:
        port = free_port()
        server = start_api({"TRIPL_STATE_DIR": str(Path(tmp) / "state"), "TRIPL_REGISTER_RATE_LIMIT": "1000/minute",
                            "TRIPL_LOGIN_RATE_LIMIT": "100000/minute"}, port, log_level="critical",
                           extra_args=["--no-proxy-headers"])
        base = f"http://127.0.0.1:{port}"
        statuses: collections.Counter[int] = collections.Counter()
        failures: list[str] = []
        growth: list[tuple[float, str]] = []
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                ids = setup(client, make_lake(Path(tmp) / "lake"))
                idle, _ = memory_mib(server.pid)
                print(f"API RSS after setup: {idle:.0f} MiB", flush=True)
                began = time.perf_counter()
                heavy_requests(client, ids, statuses)
                fuzz(base, ids, args.examples, statuses, failures, server.pid, growth, args.only)
                heavy_requests(client, ids, statuses)
                elapsed = time.perf_counter() - began
            rss, peak = memory_mib(server.pid)
        finally:
            stop(server)
    total = sum(statuses.values())
    classes = collections.Counter(f"{code // 100}xx" for code in statuses.elements())
    print(f"requests: {total} in {elapsed:.0f} s; status classes: {dict(sorted(classes.items()))}")
    print(f"API RSS: idle {idle:.0f} MiB, after {rss:.0f} MiB, peak {peak:.0f} MiB (budget {args.budget_mib:.0f})")
    for change, label in sorted(growth, reverse=True)[:12]:
        print(f"RSS {change:+7.1f} MiB over {label}")
    for failure in failures[:20]:
        print("5xx:", failure)
    return 1 if failures or peak >= args.budget_mib else 0


if __name__ == "__main__":
    sys.exit(main())
