"""The daemon and poller over months: a source down for days, a stop asked for during start-up,
and what the scheduler writes to the log at the default verbosity."""

from __future__ import annotations

import logging
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
from sqlalchemy import select

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.daemon import run_daemon
from monitor.errors import SourceUnavailable
from monitor.models import LeaderLease
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


def test_the_daemon_does_not_log_every_job_run(
    sqlite_url: str, signals: None, caplog: pytest.LogCaptureFixture
) -> None:
    # `replywatch run` logs at INFO: APScheduler's "Running job" and "executed successfully"
    # for delivery and lease renewal were four lines every 5 s, some 70,000 a day
    executors = logging.getLogger("apscheduler.executors")
    level = executors.level
    caplog.set_level(logging.INFO)
    source = MemorySource("mem", platform="x")
    source.add(make_post("1", "NovaBrew is broken", minutes=1))
    settings = Settings.model_validate({**SETTINGS, "database_url": sqlite_url})
    app = App.build(settings, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier())
    try:
        code, _ = run_until_sigterm(app, after_s=1.0)
        with app.sessions() as s:
            lease = s.scalars(select(LeaderLease)).one()
            assert lease.holder == app.worker and lease.lease_until <= app.clock()  # released
    finally:
        app.close()
        executors.setLevel(level)
    assert code == 0 and source.fetches == 1  # the poll ran
    scheduler_lines = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("apscheduler.executors") and r.levelno < logging.WARNING
    ]
    assert scheduler_lines == []
    assert "stopped cleanly" in caplog.text and "1 stored" in caplog.text
