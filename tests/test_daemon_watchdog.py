"""The wall clock stepped backward under the daemon: an NTP step, a VM restored from a snapshot,
someone fixing the time. APScheduler times its jobs by the wall clock, so every job was that far
in the future and the daemon sat deaf for as long as the step (an hour back, an hour without
polls, deliveries or leader renewals); the watchdog pulls the jobs back by the step."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.clockwatch import CLOCK_STEP_MIN, ClockStepDetector, ClockWatchdog, pull_back_jobs
from monitor.settings import Settings
from sources.memory import MemorySource
from tests.fakes import KeywordClassifier
from tests.test_daemon_review import SETTINGS, run_until_sigterm
from tests.test_daemon_review import signals as signals  # the fixture, re-exported for use here

HOUR = timedelta(hours=1)


def test_the_detector_reports_only_a_backward_step_and_each_once() -> None:
    wall, mono = 1_800_000_000.0, 5_000.0
    detector = ClockStepDetector(wall, mono)
    wall, mono = wall + 1, mono + 1  # time passes: both clocks move alike
    assert detector.check(wall, mono) is None
    # reading jitter and steps under the threshold (a leap second) are left alone
    assert detector.check(wall + 0.3, mono) is None
    assert detector.check(wall - 1.0, mono) is None
    assert detector.check(wall, mono) is None
    # an hour back, a few seconds after the last check
    wall, mono = wall + 4 - 3600, mono + 4
    step = detector.check(wall, mono)
    assert step is not None and step.total_seconds() == pytest.approx(3600)
    wall, mono = wall + 1, mono + 1
    assert detector.check(wall, mono) is None  # reported once: no second pull back
    # forward: APScheduler runs the overdue jobs once (coalesce) and nothing waits
    wall, mono = wall + 3600, mono + 1
    assert detector.check(wall, mono) is None
    # and back again from there is a step of its own
    wall, mono = wall + 1 - 1800, mono + 1
    step = detector.check(wall, mono)
    assert step is not None and step.total_seconds() == pytest.approx(1800)


def test_the_threshold_is_the_limit() -> None:
    detector = ClockStepDetector(100.0, 0.0)
    below = CLOCK_STEP_MIN.total_seconds() - 0.1
    assert detector.check(100.0 - below, 0.0) is None
    detector = ClockStepDetector(100.0, 0.0)
    above = CLOCK_STEP_MIN.total_seconds() + 0.1
    assert detector.check(100.0 - above, 0.0) == timedelta(seconds=above)


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    scheduler = BackgroundScheduler(timezone="UTC")
    yield scheduler
    if scheduler.running:
        scheduler.shutdown(wait=False)


def test_a_job_stalled_by_a_backward_step_runs_once_pulled_back(
    scheduler: BackgroundScheduler,
) -> None:
    # A real scheduler and an interval job due in 2 s when the wall clock went an hour back:
    # its next run is now an hour and 2 s ahead, and the scheduler sleeps until then.
    ran = threading.Event()
    due = datetime.now(UTC) + HOUR + timedelta(seconds=2)
    job = scheduler.add_job(
        ran.set, "interval", seconds=5, id="deliver", next_run_time=due, coalesce=True
    )
    paused = scheduler.add_job(ran.set, "interval", seconds=5, id="paused", next_run_time=None)
    scheduler.start()
    assert not ran.wait(1.0)  # stalled: this is the deaf daemon
    assert pull_back_jobs(scheduler, HOUR) == 1
    assert ran.wait(5.0), "the pulled-back job did not run"
    # from then on it keeps its interval on the wall clock, not an hour out
    next_run = scheduler.get_job(job.id).next_run_time
    assert next_run - datetime.now(UTC) <= timedelta(seconds=5)
    assert scheduler.get_job(paused.id).next_run_time is None  # paused stays paused


def test_the_watchdog_thread_finds_the_step_and_wakes_the_scheduler(
    scheduler: BackgroundScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    # The watchdog's own thread, timed by the monotonic clock, reads a wall clock the test
    # steps an hour back; the scheduler's job sits an hour ahead as it would after that step.
    caplog.set_level(logging.WARNING, logger="monitor.clockwatch")
    stepped_s = 0.0
    ran = threading.Event()
    due = datetime.now(UTC) + HOUR + timedelta(seconds=1)
    scheduler.add_job(ran.set, "interval", seconds=60, id="poll", next_run_time=due)
    scheduler.start()
    watchdog = ClockWatchdog(
        scheduler, every=timedelta(seconds=0.05), wall=lambda: time.time() - stepped_s
    )
    watchdog.start()
    try:
        assert not ran.wait(0.5)  # no step yet: nothing moved
        stepped_s = 3600.0
        assert ran.wait(5.0), "the watchdog did not pull the job back"
    finally:
        watchdog.stop()
    assert not any(t.name == ClockWatchdog.THREAD_NAME for t in threading.enumerate())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "stepped back 3600." in warnings[0], warnings


def test_run_daemon_starts_and_stops_the_watchdog(sqlite_url: str, signals: None) -> None:
    settings = Settings.model_validate({**SETTINGS, "database_url": sqlite_url})
    app = App.build(
        settings,
        sink=ConsoleSink(),
        sources=[MemorySource("mem", platform="x")],
        classifier=KeywordClassifier(),
    )
    seen: list[str] = []
    look = threading.Timer(0.7, lambda: seen.extend(t.name for t in threading.enumerate()))
    look.start()
    try:
        code, _ = run_until_sigterm(app, after_s=1.0)
    finally:
        look.cancel()
        app.close()
    assert code == 0
    assert ClockWatchdog.THREAD_NAME in seen  # it ran while the daemon did
    assert not any(t.name == ClockWatchdog.THREAD_NAME for t in threading.enumerate())
