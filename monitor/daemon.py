"""The daemon: APScheduler's ``BlockingScheduler`` running thin jobs with stable ids.

One job per source (``poll:<name>``) at its interval, one outbox sender (``outbox:deliver``,
every :data:`DELIVER_EVERY` and woken after each poll; polls never send, so a slow or down
Slack holds up alerts only, never listening), the clock check (``clocks:check``: warnings,
breaches, out-of-hours assignment) every minute, the quiet-account check (``quiet:check``)
every ``quiet.check_every`` and the negative-volume check (``crisis:check``) every
``crisis.check_every``. The checks write outbox rows under once-only keys, so a second daemon
running them would add nothing; they run on the leader only to spare the database the work.
Each job has ``coalesce=True``, ``max_instances=1`` and a misfire grace of about one
interval, so a slow poll never stacks up runs. Only the holder of the scheduler lease polls
(see :mod:`monitor.leader`); every daemon sends outbox rows, claimed with leases.

With ``alerts.slack`` configured, the daemon also listens for Slack's button clicks and the
``/replywatch`` command (:class:`SlackListener`): over Socket Mode with ``app_token``, or
over HTTP on ``http_port`` with ``signing_secret``. A listener that cannot start is logged and
tried again every minute (``slack:listen``); the daemon runs on: alerts still go out, only the
buttons wait.

APScheduler times jobs by the wall clock, so a wall clock stepped backward (an NTP step, a VM
restored from a snapshot, someone fixing the time) would leave every job that far in the future:
an hour back, an hour without polls, deliveries or lease renewals. A :class:`ClockWatchdog`
thread, timed by the monotonic clock, notices the step and moves every job's next run back by
it (:mod:`monitor.clockwatch`).

With ``metrics.port`` set, the daemon serves Prometheus metrics (:mod:`monitor.metrics`) at
``http://metrics.host:port/metrics``. An address that cannot be bound (the port taken) is
logged as an error naming the setting, and the daemon runs on without metrics: a scraper
reports the target down, while mentions are still heard and alerts still go out.

The first SIGTERM or SIGINT stops new work, lets the running batch commit (and the one
outbox send in flight finish: the rows claimed but not yet sent go back in line) and exits 0; a
second one exits at once (the database transaction rolls back, the cursor stays: nothing lost).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from monitor.app import App
from monitor.clockwatch import ClockWatchdog
from monitor.metrics import serve
from sources.base import Source

__all__ = ["CLOCKS_EVERY", "DELIVER_EVERY", "SlackListener", "run_daemon"]

log = logging.getLogger(__name__)

DELIVER_EVERY = timedelta(seconds=5)
DELIVER_JOB = "outbox:deliver"
CLOCKS_EVERY = timedelta(minutes=1)
DEFAULT_INTERVAL = timedelta(minutes=2)
#: The leader renews its lease this often; a leader that dies is replaced within LEADER_TTL.
LEADER_RENEW = timedelta(seconds=5)
LEADER_TTL = timedelta(seconds=20)
#: How often a Slack listener that could not start is tried again.
LISTENER_RETRY = timedelta(minutes=1)


class _Running:
    """Counts jobs in flight so shutdown can wait for the current batch to commit."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def job(*args: Any) -> Any:
            with self._idle:
                self._count += 1
            try:
                return func(*args)
            except Exception:  # loops outlive items: a crash in one run never ends the daemon
                log.exception("job %s failed", getattr(func, "__name__", func))
            finally:
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

        return job

    def wait_idle(self, timeout_s: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=timeout_s)


class SlackListener:
    """Slack's button clicks and ``/replywatch`` for the daemon, over Socket Mode or HTTP.

    A listener that cannot start (Slack unreachable at boot, the port still taken) is logged
    and started again by :meth:`ensure`, which the daemon calls every
    :data:`LISTENER_RETRY`: alerts go out meanwhile, only the buttons wait. One that is not
    configured (no ``app_token`` for Socket Mode, no ``signing_secret`` for HTTP) is logged
    once and stays off. ``port`` overrides ``alerts.slack.http_port`` (tests pass 0).
    """

    def __init__(self, app: App, *, port: int | None = None) -> None:
        self.app = app
        self.port = port
        self._stop: Callable[[], None] | None = None
        self._off = app.settings.alerts.slack is None
        self._failures = 0

    @property
    def listening(self) -> bool:
        return self._stop is not None

    def ensure(self) -> bool:
        """Start the listener unless it runs or is off; whether it runs now."""
        if self._stop is not None or self._off:
            return self._stop is not None
        try:
            self._stop = self._start()
        except Exception as exc:  # the daemon outlives a listener that cannot start
            self._failures += 1
            if self._failures == 1:
                log.exception("could not start the Slack listener; alerts still go out")
            else:
                log.warning("Slack listener still not started (%s: %s)", type(exc).__name__, exc)
            return False
        if self._stop is None:
            self._off = True
        elif self._failures:
            log.info("Slack listener started after %d failed tries", self._failures)
        return self._stop is not None

    def close(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None

    def _start(self) -> Callable[[], None] | None:
        from alerts.interactive import build_app, serve_http, start_socket_mode

        slack = self.app.settings.alerts.slack
        assert slack is not None
        if slack.mode == "http" and slack.signing_secret is None:
            log.warning("alerts.slack.mode is http but no signing_secret: buttons are off")
            return None
        if slack.mode == "socket" and slack.app_token is None:
            log.warning("alerts.slack.mode is socket but no app_token: buttons are off")
            return None
        bolt = build_app(
            token=slack.bot_token.get_secret_value(),
            signing_secret=slack.signing_secret.get_secret_value()
            if slack.signing_secret
            else None,
            handler=self.app.actions(),
            base_url=slack.api_url,
        )
        if slack.mode == "http":
            server = serve_http(bolt, slack.http_port if self.port is None else self.port)
            self.app.slack_url = server.url
            return server.stop
        assert slack.app_token is not None
        return start_socket_mode(bolt, slack.app_token.get_secret_value()).close


def run_daemon(app: App, *, install_signals: bool = True) -> int:
    intervals = {s.name: s.poll_interval for s in app.settings.sources}
    lease = LEADER_TTL
    running = _Running()
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(max(2, len(app.sources) + 3))}
    )
    watchdog = ClockWatchdog(scheduler)

    def poll(source: Source) -> None:
        if app.stop.is_set():
            return
        if not app.lead(lease):
            log.debug("not the scheduler leader; %s skipped", source.name)
            return
        app.poll(source)
        wake_delivery()

    # Delivery is a job of its own, never run inside a poll: a Slack that answers slowly (or
    # not at all, each send waiting out its timeout) holds up the alerts only, while every
    # source keeps its schedule. A poll wakes the job at once instead of leaving its alerts to
    # the next tick; one round runs at a time, and a wake-up during a round runs another after.
    wanted = threading.Event()
    delivering = threading.Lock()

    def deliver() -> None:
        if not delivering.acquire(blocking=False):
            wanted.set()  # the round in progress runs again
            return
        try:
            while not app.stop.is_set():
                wanted.clear()
                app.deliver()
                if not wanted.is_set():
                    break
        finally:
            delivering.release()

    def wake_delivery() -> None:
        wanted.set()
        if app.stop.is_set() or delivering.locked():
            return  # the round in progress sees ``wanted`` (at worst, the next tick runs)
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            scheduler.modify_job(DELIVER_JOB, next_run_time=datetime.now(UTC))

    def renew() -> None:
        if not app.stop.is_set():
            app.lead(lease)

    def on_leader(check: Callable[[], object]) -> Callable[[], None]:
        """``check`` run by the lease holder only (its name kept for the job's log lines)."""

        @functools.wraps(check)
        def job() -> None:
            if not app.stop.is_set() and app.lead(lease):
                check()

        return job

    now = app.clock()
    for source in app.sources:
        interval = intervals.get(source.name, DEFAULT_INTERVAL)
        scheduler.add_job(
            running.wrap(poll),
            "interval",
            args=[source],
            id=f"poll:{source.name}",
            name=f"poll {source.name}",
            seconds=interval.total_seconds(),
            next_run_time=now,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(interval.total_seconds())),
        )
    scheduler.add_job(
        running.wrap(deliver),
        "interval",
        id=DELIVER_JOB,
        name="deliver outbox",
        seconds=DELIVER_EVERY.total_seconds(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(DELIVER_EVERY.total_seconds()),
    )

    listener = SlackListener(app)
    quiet_every, crisis_every = app.settings.quiet.check_every, app.settings.crisis.check_every
    for job_id, name, func, every in (
        ("leader:renew", "renew the leader lease", renew, LEADER_RENEW),
        ("clocks:check", "check clocks", on_leader(app.check_clocks), CLOCKS_EVERY),
        ("quiet:check", "check quiet accounts", on_leader(app.check_quiet), quiet_every),
        ("crisis:check", "check negative volume", on_leader(app.check_crisis), crisis_every),
        # a no-op once listening (or when Slack is not configured)
        ("slack:listen", "start the Slack listener", listener.ensure, LISTENER_RETRY),
    ):
        scheduler.add_job(
            running.wrap(func),
            "interval",
            id=job_id,
            name=name,
            seconds=every.total_seconds(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(every.total_seconds())),
        )

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if app.stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(1)
        log.info("%s: finishing the current batch, then exiting", signal.Signals(signum).name)
        app.stop.set()
        stop_scheduler()

    def stop_scheduler(*_event: object) -> None:
        # a stop asked for before the scheduler runs (the Slack listener can take half a
        # minute to start) is carried out by this same function once it has started
        if app.stop.is_set():
            with contextlib.suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=False)

    scheduler.add_listener(stop_scheduler, EVENT_SCHEDULER_STARTED)
    # started once the jobs are in the job store with their next run times, not before
    scheduler.add_listener(lambda _event: watchdog.start(), EVENT_SCHEDULER_STARTED)

    if install_signals:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    log.info(
        "replywatch running: %d source(s) %s",
        len(app.sources),
        ", ".join(s.name for s in app.sources),
    )
    listener.ensure()
    stop_metrics = _serve_metrics(app)
    try:
        scheduler.start()
    finally:
        watchdog.stop()
        listener.close()
        stop_metrics()
    if not running.wait_idle(timeout_s=300):
        log.warning("a job did not finish within 5 minutes of the stop request")
        return 1
    app.release_lead()
    log.info("stopped cleanly")
    return 0


def _serve_metrics(app: App) -> Callable[[], None]:
    """Serve the metrics when ``metrics.port`` is set; a function that stops serving them."""
    conf = app.settings.metrics
    if conf.port is None:
        return lambda: None
    try:
        url, stop = serve(app.metrics, host=conf.host, port=conf.port)
    except OSError as exc:
        log.error(
            "metrics.port: cannot listen on %s port %d (%s); running without metrics: "
            "choose a free port (or another metrics.host) and restart",
            conf.host,
            conf.port,
            exc.strerror or exc,
        )
        return lambda: None
    log.info("metrics at %s", url)
    return stop
