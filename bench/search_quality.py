"""Search quality and speed (issue 17): the labelled queries of bench/search_queries.json over the demo plan
and a generated plan, ranked by lexical alone, semantic alone and hybrid (MRR@10, recall@5, by kind); search
latency on the generated plan (SQLite); a full reindex of it (documents and embeddings).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/search_quality.py [--events 5000] [--latency-queries 300]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_plan import write_demo, write_generated
from tripl_core.ai import search_composition
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.search.engine import SearchEngine
from tripl_core.security import SecretBox
from tripl_core.settings import Settings

QUERIES = Path(__file__).with_name("search_queries.json")
SIDES = {"lexical": frozenset({"lexical"}), "semantic": frozenset({"semantic"}),
         "hybrid": frozenset({"lexical", "semantic"})}


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float]:
    """Reciprocal rank of the first relevant item in the top 10, and recall in the top 5."""
    rr = next((1.0 / position for position, key in enumerate(ranked[:10], start=1) if key in relevant), 0.0)
    recall = len(relevant & set(ranked[:5])) / min(len(relevant), 5)
    return rr, recall


def evaluate(db: Database, engine: SearchEngine, branches: dict[str, uuid.UUID],
             queries: list[dict[str, Any]]) -> dict[str, Any]:
    per: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    misses: list[str] = []
    exact_below: list[str] = []
    with db.session(write=False) as session:
        for query in queries:
            relevant = set(query["relevant"])
            rr_by_side = {}
            for side, sides in SIDES.items():
                hits = engine.search(session, branches[query["plan"]], query["q"], limit=10, sides=sides).items
                rr, recall = scores([f"{h.type}:{h.title}" for h in hits], relevant)
                per[side][query["kind"]].append((rr, recall))
                per[side]["all"].append((rr, recall))
                rr_by_side[side] = rr
            if rr_by_side["hybrid"] < 1.0:
                misses.append(f"{query['plan']}/{query['kind']} {query['q']!r}: hybrid RR {rr_by_side['hybrid']:.2f}")
            if query["kind"] == "exact" and rr_by_side["hybrid"] < rr_by_side["lexical"]:
                exact_below.append(query["q"])
    table = {side: {kind: (statistics.fmean(r for r, _ in values), statistics.fmean(c for _, c in values), len(values))
                    for kind, values in kinds.items()} for side, kinds in per.items()}
    return {"table": table, "misses": misses, "exact_below": exact_below}


def latency(db: Database, engine: SearchEngine, branch_id: uuid.UUID, queries: list[str],
            count: int) -> dict[str, float]:
    rng = random.Random(3)
    timings = []
    with db.session(write=False) as session:
        engine.search(session, branch_id, "warm up")  # builds the branch's vocabulary and vector caches
        for _ in range(count):
            started = time.perf_counter()
            engine.search(session, branch_id, rng.choice(queries), limit=20)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50": timings[len(timings) // 2], "p95": timings[int(len(timings) * 0.95) - 1], "max": timings[-1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--latency-queries", type=int, default=300)
    args = parser.parse_args()
    queries = json.loads(QUERIES.read_text())["queries"]
    folder = Path(tempfile.mkdtemp(prefix="tripl-search-bench-"))
    url = f"sqlite+pysqlite:///{folder / 'tripl.db'}"
    upgrade(url)
    plain = Database(url)  # writes without the index hooks: the reindex below is what gets timed
    with plain.unit_of_work() as session:
        big = write_generated(session, args.events)
    plain.dispose()

    db = Database(url)
    _, engine = search_composition.compose(db, Settings(state_dir=folder), SecretBox("bench"))
    with db.unit_of_work() as session:
        demo = write_demo(session)  # through the plan services: indexed by the hooks, embedded after commit
    assert engine.queue.drain(timeout=600)

    started = time.perf_counter()
    with db.unit_of_work() as session:
        documents, _ = engine.reindex(session, big)
    lexical_seconds = time.perf_counter() - started
    assert engine.queue.drain(timeout=600)  # the embeddings the reindex's commit queued
    full_seconds = time.perf_counter() - started

    result = evaluate(db, engine, {"demo": demo, "generated": big}, queries)
    texts = [q["q"] for q in queries if q["plan"] == "generated"]
    with db.session(write=False) as session:
        from sqlalchemy import select

        from tripl_core.plan.models import Event
        names = list(session.scalars(select(Event.name).where(Event.branch_id == big).limit(2000)))
    rng = random.Random(5)
    sample = texts + [n.replace("_", " ") for n in rng.sample(names, 100)] + [n[:6] for n in rng.sample(names, 50)]
    speed = latency(db, engine, big, sample, args.latency_queries)
    engine.queue.close()
    db.dispose()

    print(f"## Search quality: {len(queries)} labelled queries (demo plan + generated plan of {args.events} events)\n")
    print("| ranking | kind | queries | MRR@10 | recall@5 |")
    print("|---|---|---|---|---|")
    for side in SIDES:
        for kind in ("all", "exact", "partial", "typo", "wording", "field", "enum"):
            if kind in result["table"][side]:
                mrr, recall, n = result["table"][side][kind]
                print(f"| {side} | {kind} | {n} | {mrr:.3f} | {recall:.3f} |")
    print(f"\nExact names where hybrid ranks below lexical: {result['exact_below'] or 'none'}")
    print("\nHybrid misses (first relevant hit not at rank 1):")
    for miss in result["misses"]:
        print(f"- {miss}")
    print(f"\n## Speed on the generated plan ({args.events} events, {documents} documents, SQLite)\n")
    print(f"- search latency over {args.latency_queries} queries: p50 {speed['p50']:.1f} ms, "
          f"p95 {speed['p95']:.1f} ms, max {speed['max']:.1f} ms")
    print(f"- full reindex: documents {lexical_seconds:.1f} s, documents + embeddings {full_seconds:.1f} s")


if __name__ == "__main__":
    main()
