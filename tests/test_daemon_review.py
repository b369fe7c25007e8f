"""The daemon and poller over months: a source down for days, a batch the database refuses, a
stop asked for during start-up, and what the scheduler writes to the log at the default
verbosity."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import Engine, text

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.daemon import run_daemon
from monitor.errors import SourceUnavailable
from monitor.models import SourceCursor
from monitor.settings import Settings
from sources.memory import MemorySource
from tests.emulators.http import Fault
from tests.emulators.slack import SlackEmulator
from tests.fakes import FakeClock, KeywordClassifier, make_post

SETTINGS: dict[str, Any] = {
    "brand_accounts": {"x": [{"handle": "NovaBrew", "team": "support"}]},
    "entities": [
        {"id": "novabrew", "kind": "brand", "name": "NovaBrew", "terms": ["NovaBrew"]},
    ],
    "sources": [{"name": "mem", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}
TOKEN = "xoxb-test-token"


class _Hung(Exception):
    """The daemon did not stop after SIGTERM (raised in the main thread by a watchdog)."""


@pytest.fixture
def signals() -> Iterator[None]:
    """run_daemon installs SIGTERM and SIGINT handlers: put pytest's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def run_until_sigterm(app: App, *, after_s: float, give_up_s: float = 15.0) -> tuple[int, float]:
    """Run the daemon in this (the main) thread, send it SIGTERM after ``after_s``; its exit
    code and how long it ran. A daemon still running after ``give_up_s`` fails the test."""

    def hung(_signum: int, _frame: FrameType | None) -> None:
        raise _Hung(f"the daemon still runs {give_up_s} s after SIGTERM")

    signal.signal(signal.SIGUSR1, hung)
    pid = os.getpid()
    term = threading.Timer(after_s, os.kill, (pid, signal.SIGTERM))
    watchdog = threading.Timer(give_up_s, os.kill, (pid, signal.SIGUSR1))
    started = time.monotonic()
    term.start()
    watchdog.start()
    try:
        code = run_daemon(app)
    finally:
        term.cancel()
        watchdog.cancel()
    return code, time.monotonic() - started


def test_a_source_down_for_days_keeps_backing_off(sqlite_url: str, clock: FakeClock) -> None:
    # an RSS feed taken down, a platform gone for a week: the 1025th failure in a row made
    # 2**1024 in the backoff overflow, and from then on every poll raised (a traceback and a
    # fetch at every interval) instead of waiting
    source = MemorySource("mem", platform="x")
    settings = Settings.model_validate({**SETTINGS, "database_url": sqlite_url})
    app = App.build(
        settings, clock=clock, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier()
    )
    try:
        started = clock.now
        for _ in range(1100):
            source.fail_next(SourceUnavailable("mem", "503 from the feed"))
            report = app.poll(source)
            assert report.error and report.waiting_until is not None
            assert timedelta(0) < report.waiting_until - clock.now <= timedelta(seconds=600)
            clock.now = report.waiting_until
        assert clock.now - started > timedelta(days=5) and source.fetches == 1100
        source.add(make_post("1", "NovaBrew is broken", minutes=1))  # the feed is back
        assert app.poll(source).result.stored == 1
    finally:
        app.close()


@contextlib.contextmanager
def posts_refused(engine: Engine) -> Iterator[None]:
    """A database that refuses every stored post while in the block, as a constraint that one
    post breaks or a read-only replica would: a real trigger, so the error is the database's."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if sqlite:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON posts"
                    " BEGIN SELECT RAISE(ABORT, 'posts refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
                    " AS $$ BEGIN RAISE EXCEPTION 'posts refused'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON posts"
                    " FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse" if sqlite else "DROP TRIGGER refuse ON posts"))


def test_a_batch_that_fails_at_every_save_backs_off(database_url: str, clock: FakeClock) -> None:
    # Fetching works, storing the batch fails every time: the exception escaped the poll, the
    # source's backoff never moved, and every interval fetched the same page again, failed
    # again and logged another traceback, for as long as the database refused it.
    source = MemorySource("mem", platform="x")
    source.add(make_post("1", "NovaBrew is broken", minutes=1))
    settings = Settings.model_validate({**SETTINGS, "database_url": database_url})
    app = App.build(
        settings, clock=clock, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier()
    )
    try:
        with posts_refused(app.engine):
            for attempt in range(1, 6):
                report = app.poll(source)
                assert report.error and "posts refused" in report.error
                assert report.waiting_until is not None and report.waiting_until > clock.now
                assert app.poll(source).waiting_until == report.waiting_until  # no fetch meanwhile
                assert source.fetches == attempt
                wait = report.waiting_until - clock.now
                clock.now = report.waiting_until
            assert wait >= timedelta(seconds=16)  # the 5th wait: 2 s doubled 4 times, jittered
            with app.sessions() as s:
                assert s.get(SourceCursor, "mem") is None  # nothing skipped over
        report = app.poll(source)  # the database takes it again
        assert report.error is None and report.result.stored == 1
        assert app.poller.state(source).failures == 0
    finally:
        app.close()


def test_sigterm_while_the_slack_listener_starts_stops_the_daemon(
    sqlite_url: str, signals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack slow or unreachable at boot: bolt's auth.test can keep start-up busy for half a
    # minute. A SIGTERM then (systemctl stop, a deploy) raised inside the listener's start,
    # was logged as a listener failure, and the daemon ran on doing nothing, deaf to it.
    with SlackEmulator(token=TOKEN) as slack:
        monkeypatch.setenv("RW_TEST_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("RW_TEST_SIGNING_SECRET", "s3cret")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings = Settings.model_validate(
            {
                **SETTINGS,
                "database_url": sqlite_url,
                "alerts": {
                    "slack": {
                        "bot_token": "env:RW_TEST_BOT_TOKEN",
                        "signing_secret": "env:RW_TEST_SIGNING_SECRET",
                        "mode": "http",
                        "http_port": port,
                        "api_url": slack.api_url,
                    }
                },
            }
        )
        app = App.build(
            settings,
            sink=ConsoleSink(),
            sources=[MemorySource("mem", platform="x")],
            classifier=KeywordClassifier(),
        )
        slack.inject(Fault.timeout(delay_s=2.0, path=r"auth\.test"))
        try:
            code, ran_s = run_until_sigterm(app, after_s=0.5)
        finally:
            app.close()
    assert code == 0 and ran_s < 10
