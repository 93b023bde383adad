"""Plan branches benchmark (issue 15): on 50 event types x 100 events x 20 fields (100,000 values), 200
variables and 50 meta fields, time branch creation, diff + conflicts after 500 edits on each side, the merge,
and the 200-event page on a branch against plain SQL (the same ratio as on main).

    .venv/bin/python bench/branch_bench.py [--database-url postgresql+psycopg://…] [--types 50 --events 100]

The plan of bench/plan_bench.py is written with Core inserts; the API runs in-process (TestClient). The 500 + 500
edits are written with plain SQL UPDATEs (how rows changed does not matter to a diff, and 1,000 requests would
time the edit endpoints, not branching); the 50 resolutions of the conflicting edits are saved as rows for the
same reason (each Save Branch Resolution recomputes the merge; that cost is the diff + conflicts time)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, create_engine, insert, select, update

from tripl_api.main import create_app
from tripl_core.branching.models import MergeResolution
from tripl_core.plan.models import Event, EventFieldValue, EventTag, EventType, FieldDefinition, MetaField, Variable
from tripl_core.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from plan_bench import SQL_PAGE, migrated_database, percentile, plan_arguments, timed

EDITS_PER_SIDE = 500
OVERLAP = 50  # event descriptions edited on both sides: the conflicts


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else None


CPU: dict[str, float] = {}


def once(fn: Any, label: str = "") -> tuple[float, Any]:
    """Wall time, and the process's CPU time under `label` (the API runs in this process, TestClient): on a
    machine shared with other jobs the CPU seconds are the steadier figure."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU[label] = time.process_time() - cpu
    return time.perf_counter() - start, result


def build(url: str, project_id: str, main_id: str, args: argparse.Namespace) -> None:
    """The plan of bench/plan_bench.py, written with Core executemany inserts (the API path is timed there;
    here it would take most of the run on a loaded machine), plus 200 variables and 50 meta fields."""
    engine = create_engine(url)
    project, branch = uuid.UUID(project_id), uuid.UUID(main_id)
    now = datetime.now(UTC)
    stamp = {"project_id": project, "branch_id": branch, "created_at": now, "updated_at": now}
    types, fields, events, values, tags = [], [], [], [], []
    for t in range(args.types):
        type_id = uuid.uuid4()
        types.append({**stamp, "id": type_id, "name": f"type_{t}", "display_name": f"Type {t}", "order": t})
        field_ids = [uuid.uuid4() for _ in range(args.fields)]
        fields += [{"id": fid, "branch_id": branch, "event_type_id": type_id, "name": f"field_{f}",
                    "display_name": f"Field {f}", "field_type": "string", "order": f, "created_at": now,
                    "updated_at": now} for f, fid in enumerate(field_ids)]
        for e in range(args.events):
            event_id = uuid.uuid4()
            events.append({**stamp, "id": event_id, "event_type_id": type_id, "name": f"type_{t}_event_{e}",
                           "order": e, "metric_breakdown_columns": []})
            tags.append({"branch_id": branch, "event_id": event_id, "tag": f"t{e % 5}"})
            values += [{"id": uuid.uuid4(), "branch_id": branch, "event_id": event_id, "field_id": fid,
                        "value": f"value {t}/{e}/{i} ${{var_{e % 200}}}"} for i, fid in enumerate(field_ids)]
    with engine.begin() as conn:
        for model, rows in ((EventType, types), (FieldDefinition, fields), (Event, events), (EventTag, tags),
                            (EventFieldValue, values)):
            conn.execute(insert(model.__table__), rows)
        conn.execute(insert(Variable.__table__), [{**stamp, "id": uuid.uuid4(), "name": f"var_{v}",
                                                   "description": f"variable {v}"} for v in range(200)])
        conn.execute(insert(MetaField.__table__), [{**stamp, "id": uuid.uuid4(), "name": f"meta_{m}",
                                                    "display_name": f"Meta {m}", "field_type": "string",
                                                    "order": m} for m in range(50)])
    engine.dispose()


def edit(url: str, main_id: str, branch_id: str) -> None:
    """500 edits on each side: 250 descriptions and 250 values; 50 descriptions edited on both sides."""
    engine = create_engine(url)
    half = EDITS_PER_SIDE // 2
    events, values = Event.__table__, EventFieldValue.__table__
    with engine.begin() as conn:
        main_events = list(conn.execute(select(events.c.id, events.c.event_type_id)
                                        .where(events.c.branch_id == uuid.UUID(main_id)).order_by(events.c.name)))
        copies = {r.origin_id: r.id for r in conn.execute(select(events.c.origin_id, events.c.id)
                                                          .where(events.c.branch_id == uuid.UUID(branch_id)))}
        fields = {(r.event_type_id, r.name): r.id for r in conn.execute(
            select(FieldDefinition.__table__.c.event_type_id, FieldDefinition.__table__.c.name,
                   FieldDefinition.__table__.c.id))}
        field_of = {(r.origin_id or r.id): r.id for r in conn.execute(
            select(FieldDefinition.__table__.c.origin_id, FieldDefinition.__table__.c.id))}
        describe = update(events).where(events.c.id == bindparam("i")).values(description=bindparam("d"))
        revalue = update(values).where(values.c.event_id == bindparam("i"), values.c.field_id == bindparam("f")) \
            .values(value=bindparam("v"))
        conn.execute(describe, [{"d": f"main edit {n}", "i": main_events[n][0]} for n in range(half)])
        conn.execute(revalue, [{"v": f"main value {n}", "i": main_events[n][0],
                                "f": fields[(main_events[n][1], "field_0")]} for n in range(half, 2 * half)])
        start = half - OVERLAP
        conn.execute(describe, [{"d": f"branch edit {n}", "i": copies[main_events[n][0]]}
                                for n in range(start, start + half)])
        branch_fields = {origin: copy for origin, copy in field_of.items() if origin != copy}
        conn.execute(revalue, [{"v": f"branch value {n}", "i": copies[main_events[n][0]],
                                "f": branch_fields[fields[(main_events[n][1], "field_1")]]}
                               for n in range(2 * half, 3 * half)])
    engine.dispose()


def resolve(url: str, branch_id: str, conflicts: dict[str, Any]) -> None:
    engine = create_engine(url)
    rows = [{"id": uuid.uuid4(), "branch_id": uuid.UUID(branch_id), "entity_type": e["entity_type"],
             "entity_key": e["entity_key"], "entity_name": e["entity_name"], "field_name": f["field_name"],
             "choice": "theirs", "value": None, "ours_value": f["ours"], "theirs_value": f["theirs"]}
            for e in conflicts["entities"] for f in e["fields"]]
    with engine.begin() as conn:
        conn.execute(insert(MergeResolution.__table__), rows)
    engine.dispose()


def page_ratio(client: TestClient, url: str, p: str, branch_id: str, repeat: int) -> tuple[float, float, float]:
    suffix = f"&branch={branch_id}"
    api_ms = timed(lambda: ok(client.get(f"{p}/events?limit=200{suffix}")), repeat)
    engine = create_engine(url)
    with engine.connect() as conn:
        key = uuid.UUID(branch_id).hex if url.startswith("sqlite") else uuid.UUID(branch_id)
        sql_ms = timed(lambda: conn.execute(SQL_PAGE, {"branch": key}).fetchall(), repeat)
    engine.dispose()
    api, sql = percentile(api_ms, 0.5), percentile(sql_ms, 0.5)
    return api, sql, api / sql


def main() -> None:
    args = plan_arguments(__doc__, repeat=20)
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated_database(args.database_url, tmp)
        settings = Settings(state_dir=Path(tmp), database_url=url, secret_key="bench",
                            register_rate_limit="1000/minute", login_rate_limit="1000/minute")
        with TestClient(create_app(settings)) as client:
            run(client, url, args)


def run(client: TestClient, url: str, args: argparse.Namespace) -> None:
    ok(client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": "bench-password"}))
    project = ok(client.post("/api/v1/projects", json={"name": "Bench", "slug": "bench"}))
    p = "/api/v1/projects/bench"
    main_id = ok(client.get(f"{p}/branches"))["items"][0]["id"]
    build_s, _ = once(lambda: build(url, project["id"], main_id, args))

    create_s, branch = once(lambda: ok(client.post(f"{p}/branches", json={"name": "bench-branch"})), "create")
    edit(url, main_id, branch["id"])
    diff_s, diff = once(lambda: ok(client.get(f"{p}/branches/{branch['id']}/diff")), "diff")
    conflicts_s, conflicts = once(lambda: ok(client.get(f"{p}/branches/{branch['id']}/conflicts")), "conflicts")
    assert diff["summary"]["total"] == EDITS_PER_SIDE, diff["summary"]
    assert conflicts["unresolved_count"] == OVERLAP, conflicts["unresolved_count"]
    resolve(url, branch["id"], conflicts)
    merge_s, merged = once(lambda: ok(client.post(f"{p}/branches/{branch['id']}/merge?force=true")), "merge")
    assert merged["status"] == "merged"

    reader = ok(client.post(f"{p}/branches", json={"name": "reader"}))
    main_api, main_sql, main_ratio = page_ratio(client, url, p, main_id, args.repeat)
    branch_api, branch_sql, branch_ratio = page_ratio(client, url, p, reader["id"], args.repeat)

    backend = url.split(":", 1)[0]
    events = args.types * args.events
    print(f"backend: {backend}; plan: {events} events, {events * args.fields} values, 200 variables, "
          f"50 meta fields (built in {build_s:.1f} s)")
    cpu = CPU
    print(f"create branch (copy + base revision):  {create_s * 1000:8.0f} ms wall {cpu['create'] * 1000:8.0f} ms CPU"
          "   (target <= 2000)")
    print(f"diff after {EDITS_PER_SIDE} edits each side:       {diff_s * 1000:8.0f} ms wall "
          f"{cpu['diff'] * 1000:8.0f} ms CPU")
    print(f"conflicts ({OVERLAP} conflicting):             {conflicts_s * 1000:8.0f} ms wall "
          f"{cpu['conflicts'] * 1000:8.0f} ms CPU")
    print(f"diff + conflicts:                      {(diff_s + conflicts_s) * 1000:8.0f} ms wall "
          f"{(cpu['diff'] + cpu['conflicts']) * 1000:8.0f} ms CPU   (target <= 1000)")
    print(f"merge ({EDITS_PER_SIDE} changes + revision):      {merge_s * 1000:8.0f} ms wall "
          f"{cpu['merge'] * 1000:8.0f} ms CPU   (target <= 3000)")
    print(f"GET events?limit=200 main:   {main_api:7.1f} ms  SQL {main_sql:6.1f} ms  ratio {main_ratio:.1f}")
    print(f"GET events?limit=200 branch: {branch_api:7.1f} ms  SQL {branch_sql:6.1f} ms  ratio {branch_ratio:.1f}"
          "  (target <= 5)")


if __name__ == "__main__":
    main()
