"""The outbox: every outward effect is a row written with its cause, then claimed and sent.

``enqueue`` runs inside the caller's transaction (the one that opened the case), so a case and
its alert exist together or not at all. A sender then ``claim``s due rows under a lease, sends
each outside any transaction, and marks it ``sent`` (with what the far side returned) or puts
it back with a retry time. A sender that dies mid-send leaves its lease to expire; the row is
claimed again and resent, so delivery is at least once, and exactly once wherever the sink can
check the far side first (public replies look for an existing reply before any resend).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import in_chunks
from monitor.errors import DeliveryError
from monitor.models import Outbox, OutboxStatus

__all__ = [
    "DeliveryReport",
    "claim",
    "compute_backoff",
    "deliver_due",
    "enqueue",
    "enqueue_values",
]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8

#: Sends one row's payload; returns what the far side confirmed (stored in ``result``).
Sender = Callable[[Outbox], Mapping[str, Any] | None]


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    target: str,
    payload: Mapping[str, Any],
    now: datetime,
    case_id: int | None = None,
    due_at: datetime | None = None,
) -> Outbox | None:
    """Add an effect unless one with ``key`` exists (then ``None``): idempotent by key."""
    if _taken_keys(session, [key]):
        return None
    row = Outbox(
        key=key,
        kind=kind,
        target=target,
        payload=dict(payload),
        case_id=case_id,
        status=OutboxStatus.PENDING,
        created_at=now,
        due_at=due_at or now,
    )
    session.add(row)
    return row


def enqueue_values(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Like :func:`enqueue` for a batch, for callers that need no :class:`Outbox` objects back.

    ``rows`` are column dicts (all with the same keys). Rows whose key exists already are
    skipped; the rest go in as one executemany, where the ORM on SQLite would send one INSERT
    per row to read each new id back. Returns the keys added, in order.
    """
    keys = [str(row["key"]) for row in rows]
    taken = _taken_keys(session, keys)
    fresh: list[Mapping[str, Any]] = []
    for row in rows:
        if row["key"] not in taken:
            taken.add(str(row["key"]))
            fresh.append(row)
    if fresh:
        session.execute(insert(Outbox), [dict(row) for row in fresh])
    return [str(row["key"]) for row in fresh]


def _taken_keys(session: Session, keys: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for chunk in in_chunks(keys):
        taken.update(session.scalars(select(Outbox.key).where(Outbox.key.in_(chunk))))
    return taken


def claim(session: Session, *, worker: str, now: datetime, limit: int = 50) -> list[Outbox]:
    """Lease up to ``limit`` due rows to ``worker``. The caller commits to make the claim stick.

    On PostgreSQL rows are locked ``FOR UPDATE SKIP LOCKED``, so several senders never take
    the same row; on SQLite the write lock taken at BEGIN serialises claimers.
    """
    due = or_(
        (Outbox.status == OutboxStatus.PENDING) & (Outbox.due_at <= now),
        (Outbox.status == OutboxStatus.CLAIMED) & (Outbox.claimed_until < now),
    )
    query = select(Outbox).where(due).order_by(Outbox.due_at, Outbox.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = OutboxStatus.CLAIMED
        row.claimed_by = worker
        row.claimed_until = now + LEASE
        row.attempts += 1
    return rows


def compute_backoff(
    attempts: int, *, base_s: float = 5.0, cap_s: float = 900.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before try ``attempts + 1``: exponential with full jitter."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


def deliver_due(
    sessions: sessionmaker[Session],
    senders: Mapping[str, Sender],
    *,
    worker: str,
    now: datetime,
    limit: int = 50,
) -> DeliveryReport:
    """Claim, send and mark due rows; one failing row never stops the others."""
    report = DeliveryReport()
    with sessions.begin() as session:
        rows = claim(session, worker=worker, now=now, limit=limit)
        session.flush()
        session.expunge_all()
    report.claimed = len(rows)
    for row in rows:
        sender = senders.get(row.kind)
        try:
            if sender is None:
                raise DeliveryError(row.key, f"no sender for {row.kind!r} effects", retryable=False)
            result = sender(row)
        except DeliveryError as exc:
            log.info("delivery of %s failed: %s", row.key, exc)
            _mark_failed(sessions, row, str(exc), now=now, retryable=exc.retryable)
            report.failed += not exc.retryable or row.attempts >= MAX_ATTEMPTS
            report.retried += exc.retryable and row.attempts < MAX_ATTEMPTS
            continue
        except Exception as exc:  # a bug in a sender: keep the loop alive, keep the row
            log.exception("delivery of %s crashed", row.key)
            _mark_failed(sessions, row, f"{type(exc).__name__}: {exc}", now=now, retryable=True)
            report.retried += 1
            continue
        with sessions.begin() as session:
            stored = session.get(Outbox, row.id)
            if stored is not None and stored.claimed_by == worker:
                stored.status = OutboxStatus.SENT
                stored.sent_at = now
                stored.result = dict(result) if result else None
                stored.claimed_until = None
                stored.last_error = None
        report.sent += 1
    return report


def _mark_failed(
    sessions: sessionmaker[Session], row: Outbox, error: str, *, now: datetime, retryable: bool
) -> None:
    with sessions.begin() as session:
        stored = session.get(Outbox, row.id)
        if stored is None:
            return
        stored.last_error = error[:2000]
        stored.claimed_until = None
        if retryable and stored.attempts < MAX_ATTEMPTS:
            stored.status = OutboxStatus.PENDING
            stored.due_at = now + timedelta(seconds=compute_backoff(stored.attempts))
        else:
            stored.status = OutboxStatus.FAILED
