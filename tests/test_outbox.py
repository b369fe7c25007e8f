"""The outbox's leases under two senders (two daemons on one database), on both backends.

A sender claims a page of rows and sends them one by one; a slow far side can outlast the
lease, and another sender then claims what is left. Each effect must still go out once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import outbox
from monitor.errors import DeliveryError
from monitor.models import Outbox, OutboxStatus
from tests.fakes import FakeClock


def enqueue(sessions: sessionmaker[Session], clock: FakeClock, *keys: str) -> None:
    with sessions.begin() as s:
        for key in keys:
            outbox.enqueue(s, key=key, kind="slow", target="#c", payload={}, now=clock())


def statuses(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as s:
        return {r.key: str(r.status) for r in s.scalars(select(Outbox))}


def slow_far_side(
    clock: FakeClock,
    seconds: float,
    sent: list[tuple[str, str]],
    *,
    during: Callable[[], Any],
    row_number: int = 1,
) -> Callable[[Outbox], dict[str, Any]]:
    """A sender that takes ``seconds`` a row; while sending its ``row_number``-th row it runs
    ``during`` (the other daemon's delivery round)."""

    def send(row: Outbox) -> dict[str, Any]:
        sent.append((str(row.claimed_by), row.key))
        clock.advance(seconds)
        if len(sent) == row_number:
            during()
        return {"ok": True}

    return send


def test_a_lease_that_runs_out_mid_page_is_not_sent_twice(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    enqueue(sessions, clock, "r1", "r2", "r3")
    sent: list[tuple[str, str]] = []
    reports = []

    def other_daemon() -> None:  # 140 s after the claim r3's lease (120 s) has run out
        reports.append(outbox.deliver_due(sessions, senders, worker="B", clock=clock))

    senders = {"slow": slow_far_side(clock, 70, sent, during=other_daemon, row_number=2)}
    first = outbox.deliver_due(sessions, senders, worker="A", clock=clock)
    keys = [key for _, key in sent]
    assert sorted(keys) == ["r1", "r2", "r3"], f"each row sent once, got {sent}"
    assert ("B", "r3") in sent and reports[0].sent == 1
    assert first.claimed == 3 and first.sent == 2
    assert statuses(sessions) == {"r1": "sent", "r2": "sent", "r3": "sent"}


def test_a_failure_reported_after_another_sender_delivered_does_not_undo_it(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    enqueue(sessions, clock, "r1")
    sent: list[tuple[str, str]] = []

    def other_daemon() -> None:
        clock.advance(150)  # A's attempt hangs past its lease; B takes the row and sends it
        outbox.deliver_due(sessions, {"slow": lambda row: {"ok": True}}, worker="B", clock=clock)

    def hanging(row: Outbox) -> dict[str, Any]:
        sent.append((str(row.claimed_by), row.key))
        other_daemon()
        raise DeliveryError(row.key, "timed out")

    report = outbox.deliver_due(sessions, {"slow": hanging}, worker="A", clock=clock)
    assert report.retried == 1
    assert statuses(sessions) == {"r1": "sent"}, "A's late failure must not requeue it"
    clock.advance(3600)
    again = outbox.deliver_due(sessions, {"slow": hanging}, worker="A", clock=clock)
    assert again.claimed == 0 and sent == [("A", "r1")]


def test_a_row_sent_after_its_lease_ran_out_is_recorded_as_sent(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    enqueue(sessions, clock, "r1")
    sent: list[tuple[str, str]] = []

    def other_daemon() -> None:  # B claims the expired row, then dies before sending it
        clock.advance(150)
        with sessions.begin() as s:
            assert [r.key for r in outbox.claim(s, worker="B", now=clock())] == ["r1"]

    senders = {"slow": slow_far_side(clock, 0, sent, during=other_daemon)}
    outbox.deliver_due(sessions, senders, worker="A", clock=clock)
    assert statuses(sessions) == {"r1": "sent"}
    clock.advance(3600)
    assert outbox.deliver_due(sessions, senders, worker="C", clock=clock).claimed == 0
    assert sent == [("A", "r1")]
    with sessions() as s:
        row = s.scalars(select(Outbox)).one()
        assert row.status == OutboxStatus.SENT and row.sent_at == clock.now - timedelta(hours=1)
