"""The outbox's leases under two senders (two daemons on one database), on both backends.

A sender claims a page of rows and sends them one by one; a slow far side can outlast the
lease, and another sender then claims what is left. Each effect must still go out once,
also when one daemon folds a channel's backlog into a digest while another claims from it,
and when the daemons run on hosts whose clocks disagree.

On PostgreSQL leases are timed by the database's clock (:func:`monitor.db.shared_now`), which
a test cannot move: there :func:`tests.fakes.pass_time` moves the leases' ends back instead,
as the database's clock moving on would bring them closer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import outbox
from monitor.delivery import collapse_backlog
from monitor.errors import DeliveryError
from monitor.models import Outbox, OutboxStatus
from tests.fakes import FakeClock, pass_time

LEASE_S = outbox.LEASE.total_seconds()


def enqueue(sessions: sessionmaker[Session], clock: FakeClock, *keys: str) -> None:
    with sessions.begin() as s:
        for key in keys:
            outbox.enqueue(s, key=key, kind="slow", target="#c", payload={}, now=clock())


def statuses(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as s:
        return {r.key: str(r.status) for r in s.scalars(select(Outbox))}


def slow_far_side(
    sessions: sessionmaker[Session],
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
        pass_time(sessions, clock, seconds)
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

    def other_daemon() -> None:  # 1.2 leases after the claim: r3's lease has run out
        reports.append(outbox.deliver_due(sessions, senders, worker="B", clock=clock))

    senders = {
        "slow": slow_far_side(
            sessions, clock, 0.6 * LEASE_S, sent, during=other_daemon, row_number=2
        )
    }
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

    def other_daemon() -> None:  # A's attempt hangs past its lease; B takes the row, sends it
        pass_time(sessions, clock, LEASE_S + 30)
        outbox.deliver_due(sessions, {"slow": lambda row: {"ok": True}}, worker="B", clock=clock)

    def hanging(row: Outbox) -> dict[str, Any]:
        sent.append((str(row.claimed_by), row.key))
        other_daemon()
        raise DeliveryError(row.key, "timed out")

    report = outbox.deliver_due(sessions, {"slow": hanging}, worker="A", clock=clock)
    assert report.retried == 1
    assert statuses(sessions) == {"r1": "sent"}, "A's late failure must not requeue it"
    pass_time(sessions, clock, 3600)
    again = outbox.deliver_due(sessions, {"slow": hanging}, worker="A", clock=clock)
    assert again.claimed == 0 and sent == [("A", "r1")]


def test_a_row_sent_after_its_lease_ran_out_is_recorded_as_sent(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    enqueue(sessions, clock, "r1")
    sent: list[tuple[str, str]] = []

    def other_daemon() -> None:  # B claims the expired row, then dies before sending it
        pass_time(sessions, clock, LEASE_S + 30)
        with sessions.begin() as s:
            assert [r.key for r in outbox.claim(s, worker="B", now=clock())] == ["r1"]

    senders = {"slow": slow_far_side(sessions, clock, 0, sent, during=other_daemon)}
    outbox.deliver_due(sessions, senders, worker="A", clock=clock)
    assert statuses(sessions) == {"r1": "sent"}
    pass_time(sessions, clock, 3600)
    assert outbox.deliver_due(sessions, senders, worker="C", clock=clock).claimed == 0
    assert sent == [("A", "r1")]
    with sessions() as s:
        row = s.scalars(select(Outbox)).one()
        assert row.status == OutboxStatus.SENT and row.sent_at == clock.now - timedelta(hours=1)


# ------------------------------------------------ hosts whose clocks disagree (PostgreSQL)


def test_a_host_whose_clock_is_ahead_does_not_take_a_row_being_sent(
    pg_sessions: sessionmaker[Session],
) -> None:
    # leases timed by each host's clock: the daemon an hour ahead read A's lease as expired
    # an hour ago, claimed the row A was sending and sent it too (a Slack message twice)
    sessions = pg_sessions
    right = datetime.now(UTC)  # clocks that stand still: what they read is all that matters
    clock_a, ahead = FakeClock(right), FakeClock(right + timedelta(hours=1))
    enqueue(sessions, clock_a, "r1")
    sent: list[tuple[str, str]] = []
    reports = []

    def other_daemon() -> None:  # B's delivery round while A is sending r1
        reports.append(outbox.deliver_due(sessions, senders, worker="B", clock=ahead))

    senders = {"slow": slow_far_side(sessions, clock_a, 0, sent, during=other_daemon)}
    first = outbox.deliver_due(sessions, senders, worker="A", clock=clock_a)
    assert sent == [("A", "r1")], f"sent once, by A: got {sent}"
    assert reports[0].claimed == 0 and first.sent == 1
    assert statuses(sessions) == {"r1": "sent"}


@pytest.mark.parametrize("skew_h", [1, -1], ids=["ahead", "behind"])
def test_a_dead_senders_row_is_taken_over_once_its_lease_runs_out_by_the_database(
    pg_sessions: sessionmaker[Session], skew_h: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # by hosts' clocks, the daemon an hour ahead took the row at once, and the daemon an hour
    # behind saw the dead sender's lease as live for another hour: nothing sent for an hour
    sessions = pg_sessions
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=2))  # to see it run out for real
    right = datetime.now(UTC)
    clock_a, clock_b = FakeClock(right), FakeClock(right + timedelta(hours=skew_h))
    enqueue(sessions, clock_a, "r1")
    with sessions.begin() as s:  # A claims the row and dies before sending it
        assert [r.key for r in outbox.claim(s, worker="A", now=clock_a())] == ["r1"]
    sent: list[str] = []
    senders = {"slow": lambda row: sent.append(str(row.claimed_by)) or {"ok": True}}
    assert outbox.deliver_due(sessions, senders, worker="B", clock=clock_b).claimed == 0
    time.sleep(2.5)  # A's lease runs out by the database's clock
    assert outbox.deliver_due(sessions, senders, worker="B", clock=clock_b).sent == 1
    assert sent == ["B"] and statuses(sessions) == {"r1": "sent"}


# ------------------------------------------------------------- digest folding (PostgreSQL)


@pytest.fixture
def folding(
    pg_sessions: sessionmaker[Session], clock: FakeClock
) -> Iterator[tuple[sessionmaker[Session], Any]]:
    """PostgreSQL with four pending alerts for #support, and a digest from the third on."""
    from tests.response.response_support import make_settings

    sessions = pg_sessions
    with sessions.begin() as s:
        for i in range(4):
            payload = {"title": f"t{i}"}
            outbox.enqueue(
                s, key=f"a{i}", kind="alert", target="#support", payload=payload, now=clock()
            )
    slack = {"bot_token": "env:SLACK_BOT_TOKEN", "digest_after": 2}
    yield sessions, make_settings(alerts={"pr_channel": "#pr", "slack": slack})


def delivered_twice(sessions: sessionmaker[Session]) -> list[str]:
    """Alert rows both claimed by a sender and folded into a digest."""
    with sessions() as s:
        rows = s.scalars(select(Outbox).where(Outbox.kind == "alert"))
        return [r.key for r in rows if r.claimed_by and (r.result or {}).get("digest")]


def test_a_fold_and_a_claim_at_once_never_take_the_same_alert(
    folding: tuple[sessionmaker[Session], Any], clock: FakeClock
) -> None:
    sessions, settings = folding
    # daemon A folds the backlog; before it commits, daemon B claims a page
    with sessions.begin() as a:
        assert collapse_backlog(a, settings, now=clock()) == ["digest:#support:1-4"]
        with sessions.begin() as b:
            b.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            claimed = [r.key for r in outbox.claim(b, worker="B", now=clock())]
    assert claimed == [], "B must leave the rows A is folding to A"
    assert delivered_twice(sessions) == []


def test_a_fold_leaves_alone_the_alerts_another_sender_is_claiming(
    folding: tuple[sessionmaker[Session], Any], clock: FakeClock
) -> None:
    sessions, settings = folding
    # daemon B claims a page; before it commits, daemon A folds what it sees pending
    with sessions.begin() as b:
        claimed = [r.key for r in outbox.claim(b, worker="B", now=clock(), limit=2)]
        with sessions.begin() as a:
            a.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            assert collapse_backlog(a, settings, now=clock()) == []  # two left: no digest
    assert claimed == ["a0", "a1"]
    assert delivered_twice(sessions) == []
    assert statuses(sessions) == {
        "a0": "claimed",
        "a1": "claimed",
        "a2": "pending",
        "a3": "pending",
    }
