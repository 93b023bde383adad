"""Alert fan-out benchmark (issues 7 and 20): 10,000 matched signals across 100 rules and 10 webhook
destinations; the receiver runs in a process of its own on 127.0.0.1 (tests/support/receiver_process.py,
threaded HTTP/1.1 with keep-alive, counting each Idempotency-Key it accepted). Measured: the fan-out
transaction (`written_s`: matching, groups, deliveries and items written), the first send of every
delivery (`send_s`, and `send_per_s` = deliveries / send_s), the time from fan-out start to every delivery
accepted, and a check that nothing was lost or duplicated (by the receiver's count of each key). A second
run has the receiver fail 30% of requests at random: the retry path (the sensor's `due_for_retry` +
`send_all`) runs on an injected clock, in bounded rounds, then anything left failed after the last
automatic attempt is retried by hand once per round, as a person would.

Beside wall-clock figures (which follow the machine's load), the bench's own CPU time: `written_cpu_s`
(the fan-out transaction) and `send_cpu_ms` (sending, per delivery, all threads of the bench's process;
the receiver's process is not counted). `--database postgres` runs the same on a throw-away PostgreSQL
server (tests/support/postgres.py) as the app database, `both` runs SQLite then PostgreSQL.

    .venv/bin/python bench/alerts_bench.py [--signals 10000] [--rules 100] [--destinations 10] [--seed 7]
        [--database sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from tests.support.receiver_process import ReceiverProcess, receiver_process
from tripl_core.alerting import deliveries
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.fanout import fan_out
from tripl_core.alerting.models import AlertDelivery, AlertDestination, AlertRule
from tripl_core.alerting.sending import ChannelPolicy
from tripl_core.db.engine import Database
from tripl_core.db.migrate import upgrade
from tripl_core.metrics.models import AnomalySignal
from tripl_core.outbound import OutboundPolicy
from tripl_core.plan.models import Project
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.security import SecretBox
from tripl_core.sources.models import DataSource

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MAX_ROUNDS = 50


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def build(db: Database, box: SecretBox, url: str, signals: int, rules: int, destinations: int) -> uuid.UUID:
    per_rule = signals // rules
    with db.unit_of_work() as session:
        project = Project(name="Bench", slug="bench")
        source = DataSource(name="bench", db_type="chdb", path="/tmp")
        session.add_all([project, source])
        session.flush()
        config = ScanConfig(project_id=project.id, data_source_id=source.id, name="hourly", base_query="SELECT 1",
                            interval="1h")
        session.add(config)
        session.flush()
        hooks = []
        for d in range(destinations):
            hook = AlertDestination(project_id=project.id, type="webhook", name=f"hook-{d}", enabled=True,
                                    settings={}, secrets_encrypted=box.encrypt(f'{{"target_url": "{url}/d{d}"}}'))
            session.add(hook)
            hooks.append(hook)
        session.flush()
        for r in range(rules):
            refs = [f"e{r * per_rule + i}" for i in range(per_rule)]
            session.add(AlertRule(project_id=project.id, destination_id=hooks[r % destinations].id, name=f"rule-{r}",
                                  filters=[{"field": "event", "op": "in", "values": refs}]))
        session.add_all([AnomalySignal(
            project_id=project.id, scan_config_id=config.id, scope="event", scope_ref=f"e{i}",
            bucket=NOW - timedelta(hours=1 + i % 12), direction="spike" if i % 3 else "drop", actual=300.0 + i,
            expected=100.0, lower=80.0, upper=120.0, z=6.0 if i % 3 else -6.0, status="open") for i in range(signals)])
        return config.id


AppDatabase = Callable[[str], AbstractContextManager[str]]  # a run's name → the URL of an empty database


@contextmanager
def sqlite_database(_name: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+pysqlite:///{Path(tmp) / 'tripl.db'}"


def run(label: str, args: argparse.Namespace, fail_rate: float,
        app_database: AppDatabase = sqlite_database) -> dict[str, float | int | str]:
    with app_database(f"alerts_bench_{int(fail_rate * 100)}") as url, \
            receiver_process(fail_rate=fail_rate, seed=args.seed) as receiver:
        upgrade(url)
        db, box, clock = Database(url), SecretBox("bench"), Clock()
        local = OutboundPolicy(allowed_hosts=("127.0.0.1",), timeout_seconds=5)
        sender = Sender(box=box, policy=ChannelPolicy(outbound=local), clock=clock)
        config_id = build(db, box, receiver.url, args.signals, args.rules, args.destinations)
        cpu_started, started = time.process_time(), time.perf_counter()
        result = fan_out(db, config_id, sender, send=False)  # what fan_out(send=True) does, timed in two parts
        cpu_written, written = time.process_time(), time.perf_counter()
        deliveries.send_all(db, result.deliveries, sender)
        cpu_fanned, fanned = time.process_time(), time.perf_counter()
        rounds, by_hand = _retry_until_sent(db, sender, clock)
        finished = time.perf_counter()
        outcome = _check(db, receiver, result.deliveries, args.signals)
        db.dispose()
    total, send, made = finished - started, fanned - written, len(result.deliveries)
    return {"run": label, "database": url.split(":")[0], "deliveries": made, "items": result.matched,
            "written_s": round(written - started, 2), "written_cpu_s": round(cpu_written - cpu_started, 2),
            "send_s": round(send, 2), "send_per_s": round(made / send, 1),
            "send_cpu_ms": round((cpu_fanned - cpu_written) / made * 1000, 2),
            "fan_out_s": round(fanned - started, 2), "fan_out_per_s": round(made / (fanned - started), 1),
            "all_delivered_s": round(total, 2), "deliveries_per_s": round(made / total, 1),
            "retry_rounds": rounds, "retried_by_hand": by_hand, **outcome}


@contextmanager
def postgres_databases() -> Iterator[AppDatabase]:
    from tests.support.postgres import running_postgres

    with running_postgres() as server:
        @contextmanager
        def database(name: str) -> Iterator[str]:
            yield server.create_database(name)

        yield database


def _retry_until_sent(db: Database, sender: Sender, clock: Clock) -> tuple[int, int]:
    """The sensor's work on a moving clock; deliveries out of automatic attempts are retried by hand."""
    rounds = by_hand = 0
    while rounds < MAX_ROUNDS:
        clock.now += deliveries.BACKOFF_CAP
        due = deliveries.due_for_retry(db, clock.now, limit=10_000)
        with db.unit_of_work() as session:
            exhausted = list(session.scalars(AlertDelivery.__table__.select().with_only_columns(AlertDelivery.id)
                                             .where(AlertDelivery.status == "failed",
                                                    AlertDelivery.next_attempt_at.is_(None))))
            for delivery_id in exhausted:
                found = session.get(AlertDelivery, delivery_id)
                assert found is not None
                deliveries.retry_by_hand(session, found, clock.now)
        if not due and not exhausted:
            break
        rounds += 1
        by_hand += len(exhausted)
        deliveries.send_all(db, [*due, *exhausted], sender)
    return rounds, by_hand


def _check(db: Database, receiver: ReceiverProcess, made: list[uuid.UUID], signals: int) -> dict[str, int | str]:
    stats = receiver.stats()
    keys: dict[str, int] = stats["accepted"]
    lost = [d for d in made if str(d) not in keys]
    duplicated = [k for k, n in keys.items() if n > 1]
    with db.unit_of_work() as session:
        statuses = dict(session.execute(
            select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)).all())
    return {"requests": stats["requests"], "answered_500": stats["failed"], "connections": stats["connections"],
            "lost": len(lost), "duplicated": len(duplicated), "items_received": stats["items"],
            "items_expected": signals, "statuses": str(statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signals", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--destinations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    if args.database in ("sqlite", "both"):
        _runs(args, sqlite_database)
    if args.database in ("postgres", "both"):
        with postgres_databases() as app_database:
            _runs(args, app_database)


def _runs(args: argparse.Namespace, app_database: AppDatabase) -> None:
    for label, rate in (("healthy receiver", 0.0), ("receiver failing 30%", 0.3)):
        print(run(label, args, rate, app_database), f"load average {Path('/proc/loadavg').read_text().split()[0]}",
              flush=True)


if __name__ == "__main__":
    main()
