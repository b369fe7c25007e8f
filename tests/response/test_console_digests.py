"""Backlogs are folded into digests whichever sink delivers: without ``alerts.slack`` (the
demo, a team trying replywatch out) the console got a panel per case and per breach, hundreds
of them, because the fold was skipped when Slack was not configured. Run against SQLite and
PostgreSQL, with the real console sink printing into a buffer."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from alerts.console import ConsoleSink
from monitor import outbox
from monitor.app import App
from monitor.delivery import collapse_backlog
from monitor.models import Outbox, OutboxStatus
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import FakeReplier, TaggedClassifier, make_settings

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def console_app(database_url: str, clock: FakeClock) -> Iterator[tuple[App, MemorySource, Any]]:
    """An App without Slack, delivering to the console sink; the screen is a buffer."""
    screen = io.StringIO()
    sink = ConsoleSink(Console(file=screen, width=100, color_system=None))
    source = MemorySource("mem", platform="x")
    settings = make_settings(database_url=database_url, alerts={"digest_after": 3})
    assert settings.alerts.slack is None
    app = App.build(
        settings,
        clock=clock,
        sink=sink,
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": FakeReplier("x")},
    )
    yield app, source, (sink, screen)
    app.close()


def complaint(clock: FakeClock, n: int, text: str = "NovaBrew broken") -> SourcePost:
    return SourcePost(
        platform="x",
        native_id=f"d{n}",
        text=f"{text} {n}",
        author=Author(native_id=f"id-u{n}", handle=f"u{n}", followers=10),
        created_at=clock.now,
        url=f"https://x.com/u{n}/status/d{n}",
    )


def test_without_slack_a_backlog_reaches_the_console_as_one_digest(
    console_app: tuple[App, MemorySource, Any], clock: FakeClock
) -> None:
    app, source, (sink, screen) = console_app
    source.add(*(complaint(clock, n) for n in range(5)))
    source.add(complaint(clock, 9, "Pod X2 broken"))  # #devices: one case, below the limit
    app.poll(source)
    report = app.deliver()
    assert (report.messages, report.folded, report.digests) == (2, 5, 1)
    support = [a for a in sink.delivered if a.channel == "#support"]
    assert [(a.kind, a.title) for a in support] == [("digest", "5 new complaints in #support")]
    assert [a.kind for a in sink.delivered if a.channel == "#devices"] == ["alert"]
    shown = screen.getvalue()
    for n in range(5):  # each case: its number, title and link, in the one panel
        assert re.search(rf"RW-{n + 1} +NORMAL complaint about NovaBrew on x", shown), shown
        assert f"https://x.com/u{n}/status/d{n}" in shown
    assert shown.count("╭") == 2  # the digest and #devices' alert: not six panels

    # a clock breach for each of the five comes as one digest too
    clock.advance(timedelta(minutes=16))  # past the 15-minute acknowledge standard
    assert len(app.check_clocks().keys) >= 5
    before = len(sink.delivered)
    app.deliver()
    titles = [a.title for a in sink.delivered[before:] if a.channel == "#support"]
    assert titles == ["5 clock warnings and breaches in #support"], titles


def test_the_default_threshold_folds_the_eleventh_alert_not_the_tenth(
    database_url: str, clock: FakeClock
) -> None:
    """The default (10) applies without Slack: ten pending alerts go one by one, eleven fold."""
    settings = make_settings(database_url=database_url)
    assert settings.alerts.slack is None and settings.alerts.digest_after == 10
    app = App.build(settings, clock=clock, sink=ConsoleSink(Console(file=io.StringIO())))
    try:
        with app.sessions.begin() as s:
            for i in range(10):
                payload = {"title": f"t{i}", "url": f"https://x.com/a/status/{i}"}
                outbox.enqueue(
                    s, key=f"a{i}", kind="alert", target="#support", payload=payload, now=clock()
                )
        with app.sessions.begin() as s:
            assert collapse_backlog(s, settings, now=clock()) == []
            outbox.enqueue(s, key="a10", kind="alert", target="#support", payload={}, now=clock())
        with app.sessions.begin() as s:
            assert collapse_backlog(s, settings, now=clock()) == ["digest:#support:1-11"]
        with app.sessions() as s:
            (row,) = s.scalars(select(Outbox).where(Outbox.kind == "notice"))
            assert row.payload["extra"]["total"] == 11
            # its plain text: a line per row, no "RW-None" for a row without a case
            assert row.payload["text"].splitlines()[:2] == [
                "t0 https://x.com/a/status/0",
                "t1 https://x.com/a/status/1",
            ]
            folded = s.scalars(select(Outbox).where(Outbox.kind == "alert")).all()
            assert {(r.status, (r.result or {}).get("digest")) for r in folded} == {
                (OutboxStatus.SENT, "digest:#support:1-11")
            }
    finally:
        app.close()
