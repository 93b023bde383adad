"""Plan API benchmark (issue 3): build 50 event types x 100 events x 20 fields through the bulk endpoints
of a real server, then time the 200-event page and single events against one plain SQL query.

    .venv/bin/python bench/plan_bench.py [--database-url postgresql+psycopg://…] [--types 50 --events 100 --fields 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tripl_core.db.migrate import upgrade
from tripl_core.settings import normalise_database_url

SQL_PAGE = text("""
    SELECT e.id, e.name, e.status, e.description, e."order", e.event_type_id, v.field_id, v.value, v.authored
    FROM (SELECT ev.* FROM events ev JOIN event_types t ON t.id = ev.event_type_id
          WHERE ev.branch_id = :branch AND ev.status != 'archived'
          ORDER BY t."order", t.name, ev."order", ev.name, ev.id LIMIT 200) e
    LEFT JOIN event_field_values v ON v.event_id = e.id
""")
sys.path.insert(0, str(Path(__file__).parent))
from served import BARE_APP, free_port, start_api, stop  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Any, repeat: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def plan_arguments(description: str | None, repeat: int) -> argparse.Namespace:
    """The plan's size and the database, shared with bench/branch_bench.py."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--types", type=int, default=50)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser.parse_args()


def migrated_database(database_url: str | None, tmp: str) -> str:
    """The given database (or a SQLite file in `tmp`), migrated to head."""
    url = normalise_database_url(database_url) if database_url else f"sqlite+pysqlite:///{Path(tmp) / 'tripl.db'}"
    upgrade(url)
    return url


def main() -> None:
    args = plan_arguments(__doc__, repeat=50)
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated_database(args.database_url, tmp)
        port = free_port()
        server = start_api({"TRIPL_STATE_DIR": tmp, "TRIPL_DATABASE_URL": url, "TRIPL_SECRET_KEY": "bench",
                            "TRIPL_REGISTER_RATE_LIMIT": "1000/minute", "TRIPL_LOGIN_RATE_LIMIT": "1000/minute"},
                           port, app=BARE_APP, migrate=False)
        try:
            run(f"http://127.0.0.1:{port}", url, args)
        finally:
            stop(server)


def run(base: str, url: str, args: argparse.Namespace) -> None:
    client = httpx.Client(base_url=base, timeout=120)
    ok(client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": "bench-password"}))
    ok(client.post("/api/v1/projects", json={"name": "Bench", "slug": "bench"}))
    p = "/api/v1/projects/bench"

    start = time.perf_counter()
    for t in range(args.types):
        fields = [{"name": f"field_{f}", "display_name": f"Field {f}", "field_type": "string"}
                  for f in range(args.fields)]
        event_type = ok(client.post(f"{p}/event-types", json={"name": f"type_{t}", "field_definitions": fields}))
        items = [{"event_type_id": event_type["id"], "name": f"type_{t}_event_{e}", "tags": [f"t{e % 5}"],
                  "field_values": [{"field_id": fd["id"], "value": f"value {t}/{e}/{i}"}
                                   for i, fd in enumerate(event_type["field_definitions"])]}
                 for e in range(args.events)]
        ok(client.post(f"{p}/events/bulk", json=items))
    build_s = time.perf_counter() - start
    total = ok(client.get(f"{p}/events?limit=1"))["total"]
    page = ok(client.get(f"{p}/events?limit=200"))
    assert len(page["items"]) == 200 and len(page["items"][0]["field_values"]) == args.fields
    event_id = page["items"][100]["id"]

    list_ms = timed(lambda: ok(client.get(f"{p}/events?limit=200")), args.repeat)
    get_ms = timed(lambda: ok(client.get(f"{p}/events/{event_id}")), args.repeat)
    engine = create_engine(url)
    with engine.connect() as conn:
        branch = conn.execute(text("SELECT id FROM branches WHERE kind = 'main'")).scalar_one()
        rows = conn.execute(SQL_PAGE, {"branch": branch}).fetchall()
        assert len(rows) == 200 * args.fields, len(rows)
        sql_ms = timed(lambda: conn.execute(SQL_PAGE, {"branch": branch}).fetchall(), args.repeat)
    engine.dispose()

    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; plan: {args.types} types x {args.events} events x {args.fields} fields "
          f"= {total} events, {total * args.fields} values")
    print(f"build through the bulk endpoints: {build_s:.1f} s ({total / build_s:.0f} events/s)")
    for label, samples in (("GET events?limit=200", list_ms), ("GET events/{id}", get_ms),
                           ("SQL: same 200 rows + values", sql_ms)):
        print(f"{label:30s} p50 {percentile(samples, 0.5):8.1f} ms   p95 {percentile(samples, 0.95):8.1f} ms")
    ratio = percentile(list_ms, 0.5) / percentile(sql_ms, 0.5)
    print(f"API/SQL ratio (p50, 200-event page): {ratio:.1f} (target <= 5)")


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json()


if __name__ == "__main__":
    main()
