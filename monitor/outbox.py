"""The outbox: every outward effect is a row written with its cause, then claimed and sent.

``enqueue`` runs inside the caller's transaction (the one that opened the case), so a case and
its alert exist together or not at all. A sender then ``claim``s due rows under a lease, sends
each outside any transaction, and marks it ``sent`` (with what the far side returned) or puts
it back with a retry time. A sender that dies mid-send leaves its lease to expire; the row is
claimed again and resent, so delivery is at least once, and exactly once wherever the sink can
check the far side first (public replies look for an existing reply before any resend). A
sender certainly dead (:func:`dead_claimers`: killed on this host since it booted) need not
wait out its lease: the next daemon started on its host frees its rows
(:func:`release_dead_claims`).

Two clocks, never compared with each other:

* **Leases** (``claimed_until``) are written and read in the database's time on PostgreSQL
  (:func:`monitor.db.shared_now`, read by :func:`claim` and :func:`_renew` in their own
  transactions), as the scheduler's lease is: daemons on several hosts share those rows. By
  its own clock, a host whose clock runs ahead would read a live lease as expired, claim the
  row another daemon is sending and send it too; a host whose clock runs behind would leave a
  dead sender's rows alone for as long as it is behind.
* **When a row is due** (``due_at``, set by whoever enqueues it or puts it back for a retry)
  stays in the hosts' own time, as every caller writes it, and is read against the claiming
  host's clock. Read against the database's it would hold back every row written by a host
  ahead of the database by that host's lead, its alerts included. Skewed hosts therefore send
  some rows early or late (an acknowledgement's delay, a retry's backoff), but a skewed clock
  no longer lets two senders hold one row.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import in_chunks, shared_now
from monitor.errors import DeliveryError
from monitor.models import Outbox, OutboxStatus

__all__ = [
    "NOTHING_SENT",
    "DeliveryReport",
    "claim",
    "compute_backoff",
    "dead_claimers",
    "deliver_due",
    "enqueue",
    "enqueue_values",
    "release_dead_claims",
    "requeue",
    "still_claimed",
]

log = logging.getLogger(__name__)

#: How long a claimed row is its sender's. Longer than the slowest send, or a second sender
#: would claim the row and send it too: an update's two Slack calls, each up to four requests
#: (15 s timeouts) and three in-client waits of at most 30 s (longer waits come back to the
#: outbox as ``retry_after_s``). A sender that dies leaves its rows this long.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8

#: A sender's result for a row it settled without sending anything (see
#: :mod:`monitor.delivery`): skipped (stale, or its alert in a digest), a message already out
#: (``already``), a public reply found on the platform (``found``).
NOTHING_SENT = ("skipped", "already", "found")

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

    ``now`` is the caller's clock, for which pending rows are due. Leases, the ones read as
    expired and the ones given, are timed by :func:`~monitor.db.shared_now` (the database's
    clock on PostgreSQL), whatever ``now`` reads: see the module's docstring.

    On PostgreSQL rows are locked ``FOR UPDATE SKIP LOCKED``, so several senders never take
    the same row; on SQLite the write lock taken at BEGIN serialises claimers.
    """
    leases_now = shared_now(session, local=now)
    due = or_(
        (Outbox.status == OutboxStatus.PENDING) & (Outbox.due_at <= now),
        (Outbox.status == OutboxStatus.CLAIMED) & (Outbox.claimed_until < leases_now),
    )
    query = select(Outbox).where(due).order_by(Outbox.due_at, Outbox.id).limit(limit)
    rows = list(session.scalars(query.with_for_update(skip_locked=True)))
    for row in rows:
        row.status = OutboxStatus.CLAIMED
        row.claimed_by = worker
        row.claimed_until = leases_now + LEASE
        row.attempts += 1
    return rows


def requeue(
    session: Session, *, keys: Sequence[str] = (), now: datetime, claimed: bool = False
) -> list[str]:
    """Put given-up rows back in line, due ``now``: those named in ``keys``, or every failed
    row when ``keys`` is empty (after a person fixed the cause: a channel, a token). Rows in
    another status are left alone. A public reply whose case's events say an attempt may have
    gone out is looked for on the platform before it is posted again (the sender reads the
    events, not the attempt count). Returns the keys requeued.

    With ``claimed``, the rows named in ``keys`` (it must name some) that are claimed, not
    failed, are put back: a person's word that their sender is dead. If it is not, the row may
    be sent twice (public replies excepted: they are looked for first).
    """
    if claimed and not keys:
        raise ValueError("requeue(claimed=True) takes only named rows")
    status = OutboxStatus.CLAIMED if claimed else OutboxStatus.FAILED
    query = select(Outbox).where(Outbox.status == status).order_by(Outbox.id)
    rows = (
        [
            r
            for chunk in in_chunks(keys)
            for r in session.scalars(query.where(Outbox.key.in_(chunk)))
        ]
        if keys
        else list(session.scalars(query))
    )
    for row in rows:
        row.status = OutboxStatus.PENDING
        row.due_at = now
        row.claimed_by = None
        row.claimed_until = None
    return [row.key for row in rows]


def dead_claimers(
    claimers: Iterable[str],
    *,
    host: str,
    pid: int,
    pid_alive: Callable[[int], bool],
    ours: Collection[str] = (),
) -> set[str]:
    """Of the worker ids ``claimers`` (``host:pid:uuid``, as :class:`monitor.app.App` makes
    them), those certainly dead, seen from process ``pid`` on ``host``: a worker on this host
    whose pid runs no process, or whose pid is ours but which is none of ``ours`` (this
    process's own workers), as after a container restart where the daemon is pid 1 each time.

    Anything else is left to its lease: a worker on another host, a pid that runs (a second
    daemon, or a process that took the pid since: not certain), an id in another form.
    The host part names the PID namespace too (:func:`monitor.app.host_id`), since
    ``pid_alive`` sees our namespace only: a restarted container has a new one, so its dead
    predecessor's rows wait for their lease (or ``replywatch outbox retry --claimed``).
    """
    dead = set()
    for worker in claimers:
        their_host, _, rest = worker.partition(":")
        their_pid, sep, _ = rest.partition(":")
        if worker in ours or not sep or their_host != host:
            continue
        if not (their_pid.isascii() and their_pid.isdigit()) or int(their_pid) <= 0:
            continue
        if int(their_pid) == pid or not pid_alive(int(their_pid)):
            dead.add(worker)
    return dead


def release_dead_claims(
    session: Session,
    *,
    host: str,
    pid: int,
    pid_alive: Callable[[int], bool],
    ours: Collection[str] = (),
    now: datetime,
) -> dict[str, int]:
    """Put the rows held by :func:`dead_claimers` back in line, due ``now``, without waiting
    for their leases; returns how many rows each dead worker held. The caller commits.

    Attempts are kept: the dead worker may have sent a row before it died, so the next try is
    a resend (a public reply is looked for on the platform after its settle time; a Slack
    alert asks the sink to look). A row another sender took meanwhile stays theirs.
    """
    held = session.scalars(
        select(Outbox.claimed_by)
        .where((Outbox.status == OutboxStatus.CLAIMED) & Outbox.claimed_by.is_not(None))
        .distinct()
    )
    dead = dead_claimers([w for w in held if w], host=host, pid=pid, pid_alive=pid_alive, ours=ours)
    freed: dict[str, int] = {}
    for worker in sorted(dead):
        released = session.execute(
            update(Outbox)
            .where((Outbox.status == OutboxStatus.CLAIMED) & (Outbox.claimed_by == worker))
            .values(status=OutboxStatus.PENDING, due_at=now, claimed_by=None, claimed_until=None)
        )
        if released.rowcount:  # type: ignore[attr-defined]
            freed[worker] = released.rowcount  # type: ignore[attr-defined]
    return freed


def compute_backoff(
    attempts: int, *, base_s: float = 5.0, cap_s: float = 900.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before try ``attempts + 1``: exponential with full jitter. The doubling
    stops at 32 (far past any cap): a source down for days reaches its 1025th failure, and
    ``2.0 ** 1024`` overflows a float, which would make every later poll raise."""
    ceiling = min(cap_s, base_s * 2 ** min(max(0, attempts - 1), 32))
    return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass
class DeliveryReport:
    """What a delivery did with the outbox.

    :func:`deliver_due` counts the rows it claimed by outcome: ``sent``, ``retried``,
    ``failed`` (the metrics' ``replywatch_outbox_deliveries_total``). A row marked sent is not
    always a message sent: ``settled`` counts those of ``sent`` whose sender found nothing
    left to send (its result says so: :data:`NOTHING_SENT`) (the message out already, its answer
    lost; a warning whose clocks stopped; an update of an alert that went out in a digest), and
    in ``folded`` the rows it folded into ``digests`` before claiming (marked sent unclaimed,
    told in the digests, which are sent as rows of their own).
    """

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    settled: int = 0
    folded: int = 0
    digests: int = 0

    @property
    def messages(self) -> int:
        """The rows sent that went out now: messages, updates, public replies."""
        return self.sent - self.settled

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "retried", "failed", "settled", "folded", "digests"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def deliver_due(
    sessions: sessionmaker[Session],
    senders: Mapping[str, Sender],
    *,
    worker: str,
    clock: Callable[[], datetime],
    limit: int = 50,
    stop: threading.Event | None = None,
) -> DeliveryReport:
    """Claim, send and mark due rows; one failing row never stops the others.

    A page of rows is claimed at once but sent one by one, and a slow far side can outlast the
    lease: so each row's lease is renewed just before it is sent, on the condition that it is
    still this claim's (:func:`_renew`). A row another sender has claimed since is skipped, not
    sent twice; a row's outcome is written only while the claim is still this one's.

    ``stop`` (the daemon's stop request) is looked at before each row: once it is set, the
    rows claimed but not yet sent are put back in line unsent (:func:`_release`), so a stop
    waits for at most the one send in flight, not for a page of sends to a slow far side
    (each up to its timeout). Nothing is lost and nothing is sent twice: a released row is
    pending again, as if never claimed, and the next delivery (this daemon's or another's)
    takes it.
    """
    report = DeliveryReport()
    with sessions.begin() as session:
        rows = claim(session, worker=worker, now=clock(), limit=limit)
        session.flush()
        session.expunge_all()
    report.claimed = len(rows)
    for index, row in enumerate(rows):
        if stop is not None and stop.is_set():
            released = _release(sessions, rows[index:])
            log.info("stop requested: %d claimed outbox row(s) put back unsent", released)
            break
        if not _renew(sessions, row, now=clock()):
            log.warning("%s was claimed by another sender meanwhile; not sending it", row.key)
            continue
        sender = senders.get(row.kind)
        try:
            if sender is None:
                raise DeliveryError(row.key, f"no sender for {row.kind!r} effects", retryable=False)
            result = sender(row)
        except DeliveryError as exc:
            final = not exc.retryable or (exc.counted and row.attempts >= MAX_ATTEMPTS)
            if final:  # the row is given up: a person must act, and the log must say so
                log.error("delivery of %s failed for good: %s", row.key, exc)
            else:
                log.info("delivery of %s failed, will retry: %s", row.key, exc)
            _mark_failed(
                sessions,
                row,
                str(exc),
                now=clock(),
                retryable=exc.retryable,
                wait_s=exc.retry_after_s,
                counted=exc.counted,
            )
            report.failed += final
            report.retried += not final
            continue
        except Exception as exc:  # a bug in a sender: keep the loop alive, keep the row
            log.exception("delivery of %s crashed", row.key)
            _mark_failed(sessions, row, f"{type(exc).__name__}: {exc}", now=clock(), retryable=True)
            report.retried += 1
            continue
        _mark_sent(sessions, row, result, now=clock())
        report.sent += 1
        report.settled += bool(result and any(result.get(word) for word in NOTHING_SENT))
    return report


def _this_claim(row: Outbox) -> Any:
    """The row as ``row``'s claim left it: still claimed, by the same worker, same attempt.
    Every claim adds an attempt, so another claim since (by anyone) fails this test."""
    return (
        (Outbox.id == row.id)
        & (Outbox.status == OutboxStatus.CLAIMED)
        & (Outbox.claimed_by == row.claimed_by)
        & (Outbox.attempts == row.attempts)
    )


def still_claimed(session: Session, row: Outbox) -> bool:
    """Whether ``row`` is still its claim's (:func:`_this_claim`), locking it to the end of
    the caller's transaction on PostgreSQL (on SQLite the write lock does): a claim cannot be
    taken over between this answer and the caller's commit."""
    found = session.scalar(select(Outbox.id).where(_this_claim(row)).with_for_update())
    return found is not None


def _renew(sessions: sessionmaker[Session], row: Outbox, *, now: datetime) -> bool:
    """Extend this claim's lease from now; ``False`` if the row is no longer this claim's.
    Timed like :func:`claim`'s leases: by the database's clock on PostgreSQL, else ``now``.

    One conditional UPDATE: on PostgreSQL it waits for a concurrent claimer's lock and then
    re-reads the row, so of two senders exactly one goes on.
    """
    with sessions.begin() as session:
        until = shared_now(session, local=now) + LEASE
        renewed = session.execute(
            update(Outbox).where(_this_claim(row)).values(claimed_until=until)
        )
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


def _release(sessions: sessionmaker[Session], rows: Sequence[Outbox]) -> int:
    """Put ``rows``, claimed and never sent, back in line as they were before the claim:
    pending, unclaimed, due when they were due, the claim's attempt handed back (nothing was
    tried, so a public reply is not looked for first on its account). A row that is no longer
    this claim's (:func:`_this_claim`) is left to its new claimer. Returns how many were put
    back."""
    released = 0
    with sessions.begin() as session:
        for row in rows:
            result = session.execute(
                update(Outbox)
                .where(_this_claim(row))
                .values(
                    status=OutboxStatus.PENDING,
                    claimed_by=None,
                    claimed_until=None,
                    attempts=Outbox.attempts - 1,
                )
            )
            released += result.rowcount  # type: ignore[attr-defined]
    return released


def _mark_sent(
    sessions: sessionmaker[Session], row: Outbox, result: Mapping[str, Any] | None, *, now: datetime
) -> None:
    values = {
        "status": OutboxStatus.SENT,
        "sent_at": now,
        "result": dict(result) if result else None,
        "claimed_until": None,
        "last_error": None,
    }
    with sessions.begin() as session:
        marked = session.execute(update(Outbox).where(_this_claim(row)).values(**values))
        if not marked.rowcount:  # type: ignore[attr-defined]
            # Sent, but the lease ran out mid-send and another sender has the row now: record
            # the truth unless it has been marked sent already.
            log.warning("%s was sent after its lease ran out", row.key)
            session.execute(
                update(Outbox)
                .where((Outbox.id == row.id) & (Outbox.status != OutboxStatus.SENT))
                .values(**values)
            )


def _mark_failed(
    sessions: sessionmaker[Session],
    row: Outbox,
    error: str,
    *,
    now: datetime,
    retryable: bool,
    wait_s: float | None = None,
    counted: bool = True,
) -> None:
    """Put the row back for a retry after its backoff (at least ``wait_s``), or give it up.
    A try that was not ``counted`` (it only waited) hands its attempt back."""
    with sessions.begin() as session:
        stored = session.scalars(select(Outbox).where(_this_claim(row))).first()
        if stored is None:  # another sender holds the row now: its outcome is theirs
            return
        stored.last_error = error[:2000]
        stored.claimed_until = None
        if not counted:
            stored.attempts -= 1
        if retryable and stored.attempts < MAX_ATTEMPTS:
            backoff = compute_backoff(stored.attempts) if counted else 0.0
            stored.status = OutboxStatus.PENDING
            stored.due_at = now + timedelta(seconds=max(backoff, wait_s or 0.0))
        else:
            stored.status = OutboxStatus.FAILED
