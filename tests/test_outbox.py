"""The outbox's leases under two senders (two daemons on one database), on both backends.

A sender claims a page of rows and sends them one by one; a slow far side can outlast the
lease, and another sender then claims what is left. Each effect must still go out once,
also when one daemon folds a channel's backlog into a digest while another claims from it,
and when the daemons run on hosts whose clocks disagree. A sender killed on this host (kill -9,
a reboot) does not hold its rows for a whole lease: the next daemon started here frees them.

On PostgreSQL leases are timed by the database's clock (:func:`monitor.db.shared_now`), which
a test cannot move: there :func:`tests.fakes.pass_time` moves the leases' ends back instead,
as the database's clock moving on would bring them closer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor import outbox
from monitor.app import App, host_id
from monitor.delivery import collapse_backlog
from monitor.errors import DeliveryError
from monitor.models import Outbox, OutboxStatus
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)

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
    slack = {"bot_token": "env:SLACK_BOT_TOKEN"}
    yield sessions, make_settings(alerts={"pr_channel": "#pr", "digest_after": 2, "slack": slack})


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


# ------------------------------------------------- a dead sender's rows, freed at start-up

HOST = "rw-host"


@pytest.mark.parametrize(
    ("worker", "dead"),
    [
        ("rw-host:4242:a1b2c3", True),  # this host, no process 4242
        ("rw-host:100:a1b2c3", True),  # this host, our own pid: an earlier us (pid 1 again)
        ("rw-host:100:ffffff", False),  # another App in this very process
        ("rw-host:777:a1b2c3", False),  # this host, pid 777 runs (a second daemon, maybe)
        ("other-host:4242:a1b2c3", False),  # another host: its pids are not ours to check
        ("other-host:100:a1b2c3", False),
        ("rw-host", False),  # not a worker id
        ("rw-host:abc:a1b2c3", False),
        ("rw-host:0:a1b2c3", False),
        ("rw-host:-5:a1b2c3", False),
        ("dead", False),
    ],
)
def test_only_claimers_certainly_dead_are_dead(worker: str, dead: bool) -> None:
    asked: list[int] = []

    def pid_alive(pid: int) -> bool:
        asked.append(pid)
        return pid == 777

    found = outbox.dead_claimers(
        [worker], host=HOST, pid=100, pid_alive=pid_alive, ours={"rw-host:100:ffffff"}
    )
    assert found == ({worker} if dead else set())
    assert all(pid not in (0, 100) for pid in asked), "never signal pid 0 or ourselves"


def test_a_dead_senders_rows_are_freed_and_nothing_else(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    holders = {
        "d1": "rw-host:4242:a1b2c3",  # dead
        "d2": "rw-host:4242:a1b2c3",
        "d3": "rw-host:100:a1b2c3",  # our pid, an earlier incarnation: dead
        "live": "rw-host:777:a1b2c3",
        "ours": "rw-host:100:ffffff",
        "away": "other-host:4242:a1b2c3",
    }
    enqueue(sessions, clock, *holders, "waiting", "given-up")
    with sessions.begin() as s:
        for key, worker in holders.items():
            (row,) = outbox.claim(s, worker=worker, now=clock(), limit=1)
            assert row.key == key
            row.attempts = 3  # a resend is told apart from a first try by this
        s.execute(update(Outbox).where(Outbox.key == "given-up").values(status="failed"))
    later = clock.advance(timedelta(minutes=1))
    with sessions.begin() as s:
        freed = outbox.release_dead_claims(
            s,
            host=HOST,
            pid=100,
            pid_alive=lambda pid: pid == 777,
            ours={"rw-host:100:ffffff"},
            now=later,
        )
    assert freed == {"rw-host:100:a1b2c3": 1, "rw-host:4242:a1b2c3": 2}
    assert statuses(sessions) == {
        "d1": "pending",
        "d2": "pending",
        "d3": "pending",
        "live": "claimed",
        "ours": "claimed",
        "away": "claimed",
        "waiting": "pending",
        "given-up": "failed",
    }
    with sessions() as s:
        rows = {r.key: r for r in s.scalars(select(Outbox))}
    for key in ("d1", "d2", "d3"):
        row = rows[key]
        assert row.attempts == 3 and row.claimed_by is None and row.claimed_until is None
        assert row.due_at.replace(tzinfo=UTC) == later
    assert rows["live"].claimed_by == "rw-host:777:a1b2c3" and rows["live"].attempts == 3
    with sessions.begin() as s:  # taken at once, long before the dead sender's lease ends
        taken = [r.key for r in outbox.claim(s, worker="rw-host:100:ffffff", now=later)]
    assert sorted(taken) == ["d1", "d2", "d3", "waiting"]


#: Run in a fresh PID namespace (as a container's pid 1): prints its worker id, or, given
#: another worker's id, whether it reads that one as dead, as a daemon starting there would.
IN_CONTAINER = """
import os, sys
from monitor import app, outbox
if len(sys.argv) == 1:
    print(app._worker_id())
else:
    dead = outbox.dead_claimers(
        [sys.argv[1]], host=app.host_id(), pid=os.getpid(), pid_alive=app._pid_alive
    )
    print(os.getpid(), sorted(dead))
"""


def in_container(*args: str) -> str:
    command = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]
    try:
        done = subprocess.run(
            [*command, sys.executable, "-c", IN_CONTAINER, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot start a process in a new PID namespace here (unshare): {exc}")
    return done.stdout.strip()


def test_worker_ids_name_the_running_kernel_as_well_as_the_host() -> None:
    """Every machine's root PID namespace has the same number: two machines of one name
    (cloned VMs) told apart by their namespaces alone would free each other's live rows."""
    boot = Path("/proc/sys/kernel/random/boot_id")
    if not boot.exists():
        pytest.skip("no /proc/sys/kernel/random/boot_id here (not Linux)")
    kernel = boot.read_text(encoding="ascii").strip().replace("-", "")[:12]
    assert f"/{kernel}." in host_id()


def test_a_daemon_in_another_container_with_the_same_host_name_is_not_taken_for_dead() -> None:
    """Two containers sharing a host name (host networking) both run their daemon as pid 1:
    one starting must not read the other's live pid 1 as its own dead predecessor."""
    other = in_container()
    assert other.split(":")[1] == "1", other
    assert in_container(other) == "1 []"


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that ran on this host and has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    assert proc.wait(timeout=60) == 0
    with pytest.raises(ProcessLookupError):  # not taken again meanwhile
        os.kill(proc.pid, 0)
    return proc.pid


class Killed(BaseException):
    """The daemon killed with -9 mid-send: nothing after this point runs, no handler sees it."""


class KilledAfterPosting(FakeReplier):
    """Posts the reply, then the daemon is killed before it hears back."""

    def __init__(self) -> None:
        super().__init__("x")
        self.kill = True

    def reply(self, in_reply_to: str, text: str) -> str:
        reply_id = super().reply(in_reply_to, text)
        if self.kill:
            self.kill = False
            raise Killed
        return reply_id


def test_a_reply_claimed_by_a_killed_daemon_is_checked_for_not_posted_twice(
    database_url: str, dead_pid: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A daemon posted an acknowledgement and was killed before it recorded it; the daemon
    started next frees the row without waiting out the lease, waits for the platform to list
    recent replies, finds the reply there and never posts a second one."""
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    settings = make_settings(
        database_url=database_url, acknowledgements={"modes": {"x": "auto"}, "delay": "2m"}
    )
    replier, sink, source = KilledAfterPosting(), RecordingSink(), MemorySource("mem", platform="x")

    def build() -> App:
        return App.build(
            settings,
            clock=clock,
            sink=sink,
            sources=[source],
            classifier=TaggedClassifier(),
            repliers={"x": replier},
        )

    dead, restarted = build(), None
    try:
        dead.worker = f"{host_id()}:{dead_pid}:a1b2c3"  # the killed process's id
        source.add(
            SourcePost(
                platform="x",
                native_id="555",
                text="NovaBrew broken again",
                author=Author(native_id="id-maria", handle="maria", followers=1200),
                created_at=clock.now,
            )
        )
        dead.poll(source)
        assert dead.deliver().sent == 1  # the alert
        clock.advance(timedelta(minutes=2))
        with pytest.raises(Killed):
            dead.deliver()  # the reply is posted; the daemon dies before it hears back
        assert list(replier.replies) == ["555"]
        pass_time(dead.sessions, clock, 10)

        restarted = build()
        with caplog.at_level("INFO", logger="monitor.app"):
            first = restarted.deliver()
        assert first.retried == 1 and replier.find_calls == []  # freed; the platform settles
        (line,) = [r.getMessage() for r in caplog.records if "dead sender" in r.getMessage()]
        assert line.startswith("freed 1 outbox row(s)") and dead.worker in line
        pass_time(restarted.sessions, clock, 61)  # far short of the 10-minute lease
        assert restarted.deliver().sent == 1
        assert replier.find_calls == ["555"] and len(replier.replies["555"]) == 1
        with restarted.sessions() as s:
            row = s.scalars(select(Outbox).where(Outbox.key == "ack:x:555")).one()
        assert row.status == "sent" and row.result == {"reply_id": "found-555", "found": True}
    finally:
        dead.close()
        if restarted is not None:
            restarted.close()
