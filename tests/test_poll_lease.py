"""``poll --once`` polls only while it holds the scheduler lease, as the daemon's poll jobs do.

It used to poll every source whatever the lease said, so cron's ``poll --once`` beside a
running daemon (or two overlapping cron runs) polled the same sources at once: every page read
twice against the platform's budget, batches colliding on their unique keys (a StorageError and
exit 1), and on PostgreSQL two transactions storing one platform's posts together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alerts.console import ConsoleSink
from monitor.app import App, utc_clock
from monitor.cli import app as cli
from monitor.models import Case, LeaderLease, Post
from monitor.settings import Settings
from sources.base import Batch, Cursor
from sources.memory import MemorySource
from tests.fakes import COMPLAINT_LINE, KeywordClassifier, make_post

TTL = timedelta(seconds=20)
SETTINGS = {
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        }
    ],
    "sources": [{"name": "a", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}


def build(url: str, *sources: MemorySource, clock: Callable[[], datetime]) -> App:
    return App.build(
        Settings.model_validate({**SETTINGS, "database_url": url}),
        clock=clock,
        sink=ConsoleSink(),
        sources=list(sources),
        classifier=KeywordClassifier(),
    )


@pytest.fixture
def daemon(database_url: str) -> Iterator[App]:
    """Another process on the same database: a daemon, or another ``poll --once``."""
    app = build(database_url, MemorySource("a", platform="x"), clock=utc_clock)
    yield app
    app.close()


def stored(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(Post)) or 0


def holder(app: App) -> str | None:
    with app.sessions() as s:
        lease = s.get(LeaderLease, "scheduler")
        return lease.holder if lease is not None else None


def test_nothing_is_polled_while_a_daemon_leads(database_url: str, daemon: App) -> None:
    source = MemorySource("a", platform="x")
    source.add(make_post("1", "NovaBrew arrived broken"))
    once = build(database_url, source, clock=utc_clock)
    try:
        assert daemon.lead(TTL)
        polls = once.poll_all(TTL)
        assert source.fetches == 0, "polled beside the daemon that polls"
        assert (polls.led, polls.reports, polls.not_polled) == (False, [], ["a"])
        assert stored(once) == 0
        assert holder(once) == daemon.worker  # the daemon's lease stays the daemon's
        assert daemon.lead(TTL)
    finally:
        once.close()


def test_polls_when_no_one_leads_and_gives_the_lease_back(database_url: str, daemon: App) -> None:
    source = MemorySource("a", platform="x")
    source.add(make_post("1", "NovaBrew arrived broken"))
    once = build(database_url, source, clock=utc_clock)
    try:
        polls = once.poll_all(TTL)
        assert polls.led and polls.not_polled == []
        assert [r.result.stored for r in polls.reports] == [1]
        assert daemon.lead(TTL)  # given back: a daemon started meanwhile leads at once
    finally:
        once.close()


class SlowSource(MemorySource):
    """A source whose fetch takes ``seconds`` (a backlog, a slow platform) and then runs
    ``meanwhile``: what another process tries while the poll is under way."""

    def __init__(self, name: str, seconds: float, meanwhile: Callable[[], object]) -> None:
        super().__init__(name, platform="x")
        self.seconds = seconds
        self.meanwhile = meanwhile
        self.saw: object = None

    def fetch(self, cursor: Cursor | None) -> Batch:
        time.sleep(self.seconds)
        self.saw = self.meanwhile()
        return super().fetch(cursor)


def test_the_lease_is_kept_through_a_poll_longer_than_it(database_url: str, daemon: App) -> None:
    # a poll outlasting the lease: without renewal the daemon took over mid-poll and polled
    # beside it
    lease = timedelta(seconds=1)
    slow = SlowSource("a", 2.0, lambda: daemon.lead(lease))
    once = build(database_url, slow, clock=utc_clock)
    try:
        assert once.poll_all(lease).led
        assert slow.saw is False, "the daemon took the lease while poll --once polled"
        assert daemon.lead(lease)
    finally:
        once.close()


def test_a_lease_taken_over_midway_stops_the_sources_left(database_url: str) -> None:
    # the lease lost mid-cycle (its renewals failed, the database away longer than it): the
    # new leader polls the sources not yet polled, this one stops
    def taken() -> None:
        with once.sessions.begin() as s:
            far = datetime(2100, 1, 1, tzinfo=UTC)
            s.execute(update(LeaderLease).values(holder="daemon-host:42:a1b2c3", lease_until=far))

    first = SlowSource("a", 0.0, taken)
    second = MemorySource("b", platform="x")
    once = build(database_url, first, second, clock=utc_clock)
    try:
        polls = once.poll_all(TTL)
        assert polls.led and [r.source for r in polls.reports] == ["a"]
        assert polls.not_polled == ["b"] and second.fetches == 0
        assert holder(once) == "daemon-host:42:a1b2c3"  # not given back: not ours
    finally:
        once.close()


class BreakingSource(MemorySource):
    """A source whose fetch runs while the database loses the cursors table: a failure the
    poller does not expect between pages (the next source's cursor cannot be read)."""

    sessions: sessionmaker[Session]

    def fetch(self, cursor: Cursor | None) -> Batch:
        with self.sessions.begin() as s:
            s.execute(text("ALTER TABLE source_cursors RENAME TO source_cursors_gone"))
        return super().fetch(cursor)


def test_the_lease_is_given_back_when_a_poll_fails_midway(database_url: str, daemon: App) -> None:
    # it was given back after the loop, not in a finally: held until it ran out (TTL)
    breaking = BreakingSource("a", platform="x")
    once = build(database_url, breaking, MemorySource("b", platform="x"), clock=utc_clock)
    breaking.sessions = once.sessions
    try:
        with pytest.raises(DBAPIError):
            once.poll_all(TTL)
        assert daemon.lead(TTL), "the failed poll --once kept the scheduler lease"
    finally:
        once.close()


def test_poll_once_beside_a_daemon_says_so_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_text(COMPLAINT_LINE, encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'rw.db'}\n"
        "entities:\n"
        "  - {id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}\n"
        'teams:\n  support: {slack_channel: "#support"}\n'
        f"sources:\n  - {{name: demo, type: jsonl, path: {tmp_path / 'posts.jsonl'}}}\n",
        encoding="utf-8",
    )
    running = App.build(
        Settings.model_validate({**SETTINGS, "database_url": f"sqlite:///{tmp_path / 'rw.db'}"}),
        sink=ConsoleSink(),
        sources=[],
        classifier=KeywordClassifier(),
    )
    try:
        assert running.lead(timedelta(minutes=10))
        result = CliRunner().invoke(cli, ["poll", "--once", "-c", str(config)])
        assert result.exit_code == 0, result.output
        assert (
            "sources not polled: another replywatch (a daemon) holds the scheduler lease and"
            " polls them" in result.stderr
        )
        assert "poll --once" not in result.stderr  # no table of sources it did not poll
        assert "checks not run" in result.stderr
        with running.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 0
        assert holder(running) == running.worker

        running.release_lead()  # the daemon stopped: the next run polls
        polled = CliRunner().invoke(cli, ["poll", "--once", "-c", str(config)])
        assert polled.exit_code == 0, polled.output
        assert "not polled" not in polled.stderr and "poll --once" in polled.stderr
        with running.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 1
    finally:
        running.close()
