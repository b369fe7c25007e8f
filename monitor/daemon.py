"""The daemon: APScheduler's ``BlockingScheduler`` running thin jobs with stable ids.

One job per source (``poll:<name>``) at its interval and one outbox sender
(``outbox:deliver``). Each job has ``coalesce=True``, ``max_instances=1`` and a misfire grace
of about one interval, so a slow poll never stacks up runs. Only the holder of the scheduler
lease polls (see :mod:`monitor.leader`); every daemon sends outbox rows, claimed with leases.

The first SIGTERM or SIGINT stops new work, lets the running batch commit and exits 0; a
second one exits at once (the database transaction rolls back, the cursor stays: nothing lost).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from monitor.app import App
from sources.base import Source

__all__ = ["DELIVER_EVERY", "run_daemon"]

log = logging.getLogger(__name__)

DELIVER_EVERY = timedelta(seconds=5)
DEFAULT_INTERVAL = timedelta(minutes=2)


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


def run_daemon(app: App, *, install_signals: bool = True) -> int:
    intervals = {s.name: s.poll_interval for s in app.settings.sources}
    lease = max([*intervals.values(), DEFAULT_INTERVAL]) * 3
    running = _Running()
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(max(2, len(app.sources) + 1))}
    )

    def poll(source: Source) -> None:
        if app.stop.is_set():
            return
        if not app.lead(lease):
            log.debug("not the scheduler leader; %s skipped", source.name)
            return
        app.poll(source)
        if not app.stop.is_set():
            app.deliver()

    def deliver() -> None:
        if not app.stop.is_set():
            app.deliver()

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
        id="outbox:deliver",
        name="deliver outbox",
        seconds=DELIVER_EVERY.total_seconds(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(DELIVER_EVERY.total_seconds()),
    )

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if app.stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(1)
        log.info("%s: finishing the current batch, then exiting", signal.Signals(signum).name)
        app.stop.set()
        scheduler.shutdown(wait=False)

    if install_signals:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    log.info(
        "replywatch running: %d source(s) %s",
        len(app.sources),
        ", ".join(s.name for s in app.sources),
    )
    scheduler.start()
    if not running.wait_idle(timeout_s=300):
        log.warning("a job did not finish within 5 minutes of the stop request")
        return 1
    log.info("stopped cleanly")
    return 0
