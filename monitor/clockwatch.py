"""A watchdog for the wall clock, which APScheduler times its jobs by.

APScheduler 3 decides what is due by ``datetime.now()`` and sets an interval job's next run to
its last run plus the interval, so a wall clock stepped backward (an NTP step, a VM restored
from a snapshot, someone fixing the time) leaves every job that far in the future: an hour
back, an hour without polls, deliveries or lease renewals, and nothing in the log.
:class:`ClockWatchdog` is a thread, timed by the monotonic clock, that notices the step
(:class:`ClockStepDetector`) and moves every job's next run back by it (:func:`pull_back_jobs`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

__all__ = [
    "CLOCK_STEP_MIN",
    "CLOCK_WATCH_EVERY",
    "ClockStepDetector",
    "ClockWatchdog",
    "pull_back_jobs",
]

log = logging.getLogger(__name__)

#: A backward step of the wall clock smaller than this is left alone. The two clocks are not read
#: at once, so their difference wobbles by microseconds (by more for a thread preempted between
#: the reads) without any step, and a leap second steps back 1 s; a step this small only
#: stretches one gap between runs by as much, well inside the shortest interval (5 s) and the
#: daemon's leader lease's slack (its TTL less its renewal period: 15 s).
CLOCK_STEP_MIN = timedelta(seconds=2)
#: How often the watchdog compares the clocks: a backward step delays the jobs at most this long.
CLOCK_WATCH_EVERY = timedelta(seconds=1)


class ClockStepDetector:
    """Notices the wall clock stepping backward, by comparing it with the monotonic clock.

    ``wall - monotonic`` stays put while time passes (NTP slews both clocks alike) and moves only
    when the wall clock is set. A drop of more than ``threshold`` since the last check is a
    backward step, returned as its size. A rise (a forward step, or a suspended host: the
    monotonic clock stops while suspended) is only remembered: APScheduler sees jobs overdue
    and, with ``coalesce=True``, runs each once at once, so nothing waits.
    """

    def __init__(
        self, wall_s: float, monotonic_s: float, *, threshold: timedelta = CLOCK_STEP_MIN
    ) -> None:
        self._offset_s = wall_s - monotonic_s
        self._threshold_s = threshold.total_seconds()

    def check(self, wall_s: float, monotonic_s: float) -> timedelta | None:
        """The backward step since the last check, or None; each step is reported once."""
        offset_s = wall_s - monotonic_s
        drop_s = self._offset_s - offset_s
        self._offset_s = offset_s
        return timedelta(seconds=drop_s) if drop_s > self._threshold_s else None


def pull_back_jobs(scheduler: BaseScheduler, step: timedelta) -> int:
    """Move every scheduled job's next run ``step`` earlier; how many moved.

    After a backward step every next run is that far ahead of the wall clock; moving it back
    restores the run to when it was due by elapsed time (overdue ones run at once, coalesced).
    ``modify_job`` wakes the scheduler, which would otherwise sleep until the old, late time.
    Paused jobs (no next run) stay paused.
    """
    moved = 0
    for job in scheduler.get_jobs():
        next_run = getattr(job, "next_run_time", None)  # unset on a job added before start
        if next_run is None:
            continue
        with contextlib.suppress(JobLookupError):  # removed meanwhile: nothing to move
            scheduler.modify_job(job.id, next_run_time=next_run - step)
            moved += 1
    return moved


class ClockWatchdog:
    """A thread that pulls the scheduler's jobs back when the wall clock steps backward.

    It cannot be a scheduler job: those are the ones that stall. It waits on an event, whose
    timeout Python 3.11 times by the monotonic clock, checks every ``every`` and stops with
    :meth:`stop`. The baseline is read when it is built, so a step between then and
    :meth:`start` is still caught. Tests pass their own ``wall`` and ``monotonic``.
    """

    THREAD_NAME = "replywatch-clock-watchdog"

    def __init__(
        self,
        scheduler: BaseScheduler,
        *,
        every: timedelta = CLOCK_WATCH_EVERY,
        threshold: timedelta = CLOCK_STEP_MIN,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scheduler = scheduler
        self._every_s = every.total_seconds()
        self._wall = wall
        self._monotonic = monotonic
        self._detector = ClockStepDetector(wall(), monotonic(), threshold=threshold)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def check(self) -> timedelta | None:
        """Compare the clocks once; pull the jobs back by a backward step found."""
        step = self._detector.check(self._wall(), self._monotonic())
        if step is not None:
            moved = pull_back_jobs(self.scheduler, step)
            log.warning(
                "the wall clock stepped back %.1f s: %d job(s) moved that much earlier",
                step.total_seconds(),
                moved,
            )
        return step

    def _run(self) -> None:
        while not self._stopped.wait(self._every_s):
            try:
                self.check()
            except Exception:  # the watchdog outlives a failed check
                log.exception("clock watchdog check failed")
