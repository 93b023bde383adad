"""Deliveries: one per (rule, batch of matched items), pending → sent | failed.

A delivery succeeds at most once. Every attempt first claims the row with a conditional UPDATE (only
an unclaimed pending, or due failed, delivery can be claimed; `send_all` claims a batch of rows in one
statement, each row still only when claimable), sends with no transaction open, then records the outcome
conditioned on its claim. `send_all` sends on a thread pool with a per-destination limit over kept-alive
connections (one pool per destination host) and records outcomes a batch per transaction. A crash between
send and record leaves a claim that expires after CLAIM_TTL; the retry that follows carries the same
idempotency key (the delivery id), so a receiver can drop the repeat."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, func, or_, select, update
from sqlalchemy.orm import Session

from tripl_core.alerting import destinations, dispatch
from tripl_core.alerting.channels import CHANNELS, SendContext
from tripl_core.alerting.models import (
    AlertDelivery,
    AlertDeliveryItem,
    AlertDestination,
    DeliveryStatus,
    DestinationType,
)
from tripl_core.alerting.schemas import DeliveryOut, DeliveryPage
from tripl_core.alerting.sending import ChannelPolicy, DeliveryFailed
from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.errors import Conflict, NotFound
from tripl_core.outbound import ConnectionPools
from tripl_core.plan.models import Project
from tripl_core.security import SecretBox

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
CLAIM_TTL = timedelta(minutes=10)
PENDING_GRACE = timedelta(minutes=2)  # a pending delivery this old lost its fan-out: the sensor sends it
MAX_ERROR = 500
SEND_WORKERS = 32  # sends are waits on the network: threads are cheap next to a receiver's latency
DESTINATION_LIMIT = 8  # concurrent sends to one destination
# Claimed a batch at a time, when fewer than SEND_WORKERS are waiting to start; a claim that waited
# CLAIM_TTL / 2 anyway (a slow destination) is handed back unsent.
CLAIM_BATCH = 64
RECORD_BATCH = 64  # outcomes written per transaction (a crash loses at most these records, not the sends)
RECORD_SECONDS = 0.25  # an outcome waits at most this long for its batch


def backoff(attempts: int) -> timedelta:
    """Wait before the next automatic attempt after `attempts` failed ones: 30 s, 1 min, 2 min, 4 min…"""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True)
class Sender:
    """What sending needs besides the database: the secret box, the outbound policy and a clock."""

    box: SecretBox
    policy: ChannelPolicy
    clock: Clock = utcnow


@dataclass(frozen=True)
class _Claimed:
    """A delivery this sender holds (its claim token) and what sending it needs."""

    id: uuid.UUID
    token: str
    claimed_at: datetime
    attempts: int
    destination_id: uuid.UUID
    channel: DestinationType
    payload: str  # the stored JSON text: parsed only by a channel that needs it
    context: SendContext


@dataclass(frozen=True)
class _Outcome:
    """What an attempt ended with: a status and the values to record, or None when it was handed back."""

    status: str | None
    values: dict[str, Any]


def attempt(db: Database, delivery_id: uuid.UUID, sender: Sender) -> str | None:
    """One attempt; the delivery's status after it, or None when someone else holds it (or it is done)."""
    claimed = _claim(db, [delivery_id], sender)
    if not claimed:
        return None
    outcome = _deliver(db, claimed[0], sender)
    _record_all(db, [(claimed[0], outcome)])
    return outcome.status


def send_all(db: Database, delivery_ids: Iterable[uuid.UUID], sender: Sender,
             workers: int = SEND_WORKERS, per_destination: int = DESTINATION_LIMIT) -> dict[str, int]:
    """Attempts each delivery once, several at a time; counts of the outcomes ("skipped": held by someone
    else, or done). Deliveries are claimed CLAIM_BATCH at a time in one conditional UPDATE (what sending
    them needs read in the same transaction, each destination's secrets decrypted once) as the senders
    need more work; `workers` threads send them, at most `per_destination` at once to one destination,
    over connections kept alive per host for this call; outcomes are recorded RECORD_BATCH at a time (or
    after RECORD_SECONDS), each conditioned on its claim."""
    counts: dict[str, int] = {}
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        return counts

    def batches(pooled: Sender) -> Iterator[list[_Claimed]]:
        batch_size = CLAIM_BATCH  # read once per call: tests shrink it
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            claimed = _claim(db, chunk, pooled)
            if len(claimed) < len(chunk):
                counts["skipped"] = counts.get("skipped", 0) + len(chunk) - len(claimed)
            yield claimed

    def recorded(results: list[tuple[_Claimed, _Outcome]]) -> None:
        _record_all(db, results)
        for _held, outcome in results:
            key = outcome.status or "skipped"
            counts[key] = counts.get(key, 0) + 1

    with ConnectionPools(max_connections=max(workers, 1)) as pools:
        pooled = replace(sender, policy=replace(sender.policy, connections=pools))
        dispatch.run_bounded(batches(pooled), key=lambda held: held.destination_id,
                             work=lambda held: _deliver(db, held, pooled), on_results=recorded,
                             limits=dispatch.Limits(workers=max(workers, 1), per_key=max(per_destination, 1),
                                                    flush_every=RECORD_BATCH, flush_seconds=RECORD_SECONDS))
    return counts


def _deliver(db: Database, held: _Claimed, sender: Sender) -> _Outcome:
    """Sends one claimed delivery (no transaction open) and says what to record; never raises."""
    if sender.clock() - held.claimed_at >= CLAIM_TTL / 2:
        # waited in its batch for so long that its claim may soon expire and another sender take it: hand it
        # back untouched rather than risk two senders at once
        _release(db, held)
        return _Outcome(None, {})
    context = held.context
    try:
        parts = CHANNELS[held.channel].send_text(held.payload, context)
    except DeliveryFailed as failure:
        return _failure(held, failure, sender.clock(), context.parts_sent)
    except Exception as error:  # a bug or an unexpected library error must not leave the claim behind
        unexpected = DeliveryFailed(f"{type(error).__name__}: {error}")
        return _failure(held, unexpected, sender.clock(), context.parts_sent)
    return _Outcome(DeliveryStatus.sent.value, {"status": DeliveryStatus.sent.value, "sent_at": sender.clock(),
                                                "error_message": None, "next_attempt_at": None,
                                                "parts_sent": parts})


def due_for_retry(db: Database, now: datetime, limit: int = 200) -> list[uuid.UUID]:
    with db.unit_of_work() as session:
        return list(session.scalars(
            select(AlertDelivery.id).where(_claimable(now), or_(AlertDelivery.status == DeliveryStatus.failed.value,
                                                                AlertDelivery.created_at < now - PENDING_GRACE))
            .order_by(AlertDelivery.created_at).limit(limit)))


def retry_by_hand(session: Session, delivery: AlertDelivery, now: datetime) -> AlertDelivery:
    """Makes a failed delivery pending again (the caller sends it once this transaction is committed)."""
    if delivery.status == DeliveryStatus.sent.value:
        raise Conflict("This delivery was sent; it is never sent twice")
    if delivery.claimed_at is not None and delivery.claimed_at > now - CLAIM_TTL:
        raise Conflict("This delivery is being sent right now")
    if delivery.status == DeliveryStatus.pending.value:
        raise Conflict("This delivery is pending: it is sent by the fan-out that created it")
    delivery.status = DeliveryStatus.pending.value
    delivery.next_attempt_at = None
    delivery.claimed_at = delivery.claim_token = None
    session.flush()
    return delivery


def _claimable(now: datetime) -> Any:
    unclaimed = or_(AlertDelivery.claimed_at.is_(None), AlertDelivery.claimed_at < now - CLAIM_TTL)
    due_failed = and_(AlertDelivery.status == DeliveryStatus.failed.value, AlertDelivery.next_attempt_at <= now)
    return and_(unclaimed, or_(AlertDelivery.status == DeliveryStatus.pending.value, due_failed))


def _claim(db: Database, delivery_ids: list[uuid.UUID], sender: Sender) -> list[_Claimed]:
    """Claims those of `delivery_ids` that are claimable now (one conditional UPDATE, one token) and reads
    what sending them needs; the ones claimed, in the order given."""
    now, token = sender.clock(), secrets.token_hex(16)
    with db.unit_of_work() as session:
        session.execute(
            update(AlertDelivery).where(AlertDelivery.id.in_(delivery_ids), _claimable(now))
            .values(claim_token=token, claimed_at=now, attempts=AlertDelivery.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        rows = {row.id: row for row in session.execute(
            select(AlertDelivery.id, AlertDelivery.attempts, AlertDelivery.channel,
                   cast(AlertDelivery.payload_snapshot, Text).label("payload"), AlertDelivery.parts_sent,
                   AlertDelivery.destination_id)
            .where(AlertDelivery.id.in_(delivery_ids), AlertDelivery.claim_token == token))}
        if not rows:
            return []
        targets = {destination.id: (dict(destination.settings), destinations.secrets_of(destination, sender.box))
                   for destination in session.scalars(select(AlertDestination).where(
                       AlertDestination.id.in_({row.destination_id for row in rows.values()})))}
    claimed = []
    for delivery_id in delivery_ids:
        row = rows.get(delivery_id)
        if row is None:
            continue
        settings, secret_values = targets[row.destination_id]
        context = SendContext(settings=settings, secrets=secret_values, policy=sender.policy,
                              idempotency_key=str(delivery_id), parts_sent=row.parts_sent)
        claimed.append(_Claimed(delivery_id, token, now, row.attempts, row.destination_id,
                                DestinationType(row.channel), row.payload, context))
    return claimed


def _failure(held: _Claimed, failure: DeliveryFailed, now: datetime, parts_before: int) -> _Outcome:
    retry_at = now + backoff(held.attempts) if failure.transient and held.attempts < MAX_ATTEMPTS else None
    parts = failure.parts_sent if failure.parts_sent is not None else parts_before
    return _Outcome(DeliveryStatus.failed.value, {"status": DeliveryStatus.failed.value, "sent_at": None,
                                                  "error_message": failure.message[:MAX_ERROR],
                                                  "next_attempt_at": retry_at, "parts_sent": parts})


def _release(db: Database, held: _Claimed) -> None:
    """Gives a claim back unused: the delivery is claimable again as it was (the attempt did not happen)."""
    with db.engine.begin() as connection:  # one statement: a Core transaction, no ORM session
        connection.execute(update(AlertDelivery).where(AlertDelivery.id == held.id,
                                                       AlertDelivery.claim_token == held.token)
                           .values(claim_token=None, claimed_at=None, attempts=AlertDelivery.attempts - 1))


_RECORD = (update(AlertDelivery)
           .where(AlertDelivery.id == bindparam("b_id"), AlertDelivery.claim_token == bindparam("b_token"))
           .values(claim_token=None, claimed_at=None, updated_at=bindparam("b_updated_at"),
                   status=bindparam("b_status"), sent_at=bindparam("b_sent_at"),
                   error_message=bindparam("b_error_message"), next_attempt_at=bindparam("b_next_attempt_at"),
                   parts_sent=bindparam("b_parts_sent")))


def _record_all(db: Database, results: list[tuple[_Claimed, _Outcome]]) -> None:
    """The outcomes of attempts, in one transaction (one executemany), each row conditioned on its claim."""
    rows = [{"b_id": held.id, "b_token": held.token, "b_updated_at": utcnow(),
             **{f"b_{name}": value for name, value in outcome.values.items()}}
            for held, outcome in results if outcome.status is not None]
    if not rows:
        return
    with db.engine.begin() as connection:  # Core: no ORM session
        connection.execute(_RECORD, rows)


# Reads


@dataclass(frozen=True)
class DeliveryFilters:
    status: str | None = None
    channel: str | None = None
    destination_id: uuid.UUID | None = None
    rule_id: uuid.UUID | None = None
    scan_config_id: uuid.UUID | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def get(session: Session, project: Project, delivery_id: uuid.UUID) -> AlertDelivery:
    delivery = session.get(AlertDelivery, delivery_id)
    if delivery is None or delivery.project_id != project.id:
        raise NotFound(f"Alert delivery {delivery_id} not found in project '{project.slug}'")
    return delivery


def page(session: Session, project: Project, filters: DeliveryFilters, offset: int, limit: int) -> DeliveryPage:
    query = select(AlertDelivery).where(AlertDelivery.project_id == project.id)
    for column, value in ((AlertDelivery.status, filters.status), (AlertDelivery.channel, filters.channel),
                          (AlertDelivery.destination_id, filters.destination_id),
                          (AlertDelivery.rule_id, filters.rule_id),
                          (AlertDelivery.scan_config_id, filters.scan_config_id)):
        if value is not None:
            query = query.where(column == value)
    if filters.date_from is not None:
        query = query.where(AlertDelivery.created_at >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(AlertDelivery.created_at < filters.date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AlertDelivery.created_at.desc(), AlertDelivery.id)
                           .offset(offset).limit(limit))
    return DeliveryPage(items=[describe(session, row) for row in rows], total=total)


def describe(session: Session, delivery: AlertDelivery) -> DeliveryOut:
    items = session.scalars(select(AlertDeliveryItem).where(AlertDeliveryItem.delivery_id == delivery.id)
                            .order_by(AlertDeliveryItem.created_at, AlertDeliveryItem.id))
    return DeliveryOut.model_validate({
        **{name: getattr(delivery, name) for name in DeliveryOut.model_fields if hasattr(delivery, name)},
        "items": [{**item.details, "correlation_group_id": item.correlation_group_id} for item in items]})
