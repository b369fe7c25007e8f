"""The scheduler lease between daemons sharing a real PostgreSQL: racing for an empty table,
and running on hosts whose clocks disagree.

Neither can happen on SQLite: it takes its write lock at ``BEGIN IMMEDIATE`` (see
:mod:`monitor.db`), so a second daemon waits before it reads and then finds the row, and only
daemons on one host, with one clock, can share its file.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from alerts.console import ConsoleSink
from monitor import store
from monitor.app import App
from monitor.leader import try_lead
from monitor.models import LeaderLease, SourceCursor
from monitor.settings import Settings
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier

TTL = timedelta(seconds=20)
SETTINGS = {
    "entities": [{"id": "novabrew", "kind": "brand", "name": "NovaBrew", "terms": ["NovaBrew"]}],
    "sources": [{"name": "mem", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}


def wait_for_a_lock_wait(sessions: sessionmaker[Session], *, timeout_s: float = 10.0) -> None:
    """Return once some session of this database waits on a lock (the second insert)."""
    deadline = time.monotonic() + timeout_s
    with sessions() as s:
        while time.monotonic() < deadline:
            waiting = s.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            s.rollback()  # a fresh snapshot of pg_stat_activity next time
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second daemon never waited on the first one's insert")


@pytest.mark.parametrize(("second", "leads"), [("daemon-b", False), ("daemon-a", True)])
def test_two_daemons_starting_on_an_empty_table(
    pg_sessions: sessionmaker[Session], clock: FakeClock, second: str, leads: bool
) -> None:
    # Two daemons started together (or two poll jobs of one daemon, which all start at once)
    # both find no lease row and both insert one. The second insert waits for the first
    # transaction and then failed on the primary key: an IntegrityError out of App.lead, and
    # a traceback from the poll job, instead of "not the leader".
    sessions = pg_sessions
    outcome: dict[str, object] = {}

    def race() -> None:
        try:
            with sessions.begin() as s:
                outcome["leads"] = try_lead(
                    s, name="scheduler", holder=second, now=clock.now, ttl=TTL
                )
                # the transaction is still usable: the lost race costs only the insert
                store.save_cursor(s, "mem", {"after": "1"}, now=clock.now)
        except Exception as exc:  # reported by the assertions below, not lost in the thread
            outcome["error"] = repr(exc)

    with sessions.begin() as first:
        assert try_lead(first, name="scheduler", holder="daemon-a", now=clock.now, ttl=TTL)
        racer = threading.Thread(target=race)
        racer.start()
        wait_for_a_lock_wait(sessions)  # inserting, blocked on our uncommitted row
    racer.join(timeout=30)
    assert not racer.is_alive()
    assert outcome == {"leads": leads}
    with sessions() as s:
        lease = s.scalars(select(LeaderLease)).one()
        assert lease.holder == "daemon-a" and lease.lease_until == clock.now + TTL
        cursor = s.get(SourceCursor, "mem")
        assert cursor is not None and cursor.cursor == {"after": "1"}


@pytest.fixture
def daemons(postgres_url: str) -> Iterator[tuple[App, App, App]]:
    """Three daemons on one database, on hosts whose clocks read: right, an hour ahead, an
    hour behind (clocks that stand still: what they read is all that matters here)."""
    settings = Settings.model_validate({**SETTINGS, "database_url": postgres_url})
    right = datetime.now(UTC)
    apps = tuple(
        App.build(
            settings,
            clock=FakeClock(right + skew),
            sink=ConsoleSink(),
            sources=[MemorySource("mem", platform="x")],
            classifier=KeywordClassifier(),
        )
        for skew in (timedelta(0), timedelta(hours=1), -timedelta(hours=1))
    )
    yield apps[0], apps[1], apps[2]
    for app in apps:
        app.close()


def test_a_host_whose_clock_is_ahead_does_not_lead_beside_the_leader(
    daemons: tuple[App, App, App],
) -> None:
    # leases timed by each host's clock: the host an hour ahead read the leader's lease as
    # expired an hour ago and took it at its next poll, and both daemons polled every source
    leader, ahead, _ = daemons
    assert leader.lead(TTL)
    assert not ahead.lead(TTL)
    assert leader.lead(TTL)  # renewed: still the leader
    leader.release_lead()  # a clean stop hands over at once, whatever the clocks read
    assert ahead.lead(TTL)
    assert not leader.lead(TTL)


def test_a_host_whose_clock_is_behind_replaces_a_dead_leader(
    daemons: tuple[App, App, App],
) -> None:
    # the host an hour behind saw a dead leader's lease as valid for another hour: no daemon
    # polled for an hour instead of for one lease
    leader, _, behind = daemons
    ttl = timedelta(seconds=0.5)
    assert leader.lead(ttl)
    assert not behind.lead(ttl)
    time.sleep(0.6)  # the leader died without releasing; its lease runs out by the database
    assert behind.lead(ttl)
