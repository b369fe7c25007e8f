"""Polling one source: fetch, store and advance the cursor together, survive every failure.

A poll loops ``fetch -> process -> commit`` while the source says it has more, so a backlog of
pages is drained in one cycle, each page committed with the cursor that covers it. Failures are
decisions, taken here as pure functions of ``now`` and kept in :class:`SourceState`:

* :class:`~monitor.errors.RateLimited`: wait until the platform's reset, then resume;
* :class:`~monitor.errors.SourceUnavailable` and malformed bodies: back off with jitter;
* :class:`~monitor.errors.AuthError`: log loudly naming the source, retry slowly (a person
  must fix the credentials);
* anything else is a bug: logged with its traceback, the cursor kept, the loop alive.

A batch fetched but not stored (the database refused it, or a bug in the pipeline) counts as a
failure of its source as well, with the same backoff: a batch that fails at every save (a
constraint one post breaks, a database gone read-only) would otherwise be fetched again and
fail again at every interval, each time with a traceback, and hammer the platform meanwhile.

A source that reads several streams sets a failing one aside itself and goes on
(:mod:`sources.streams`); the batch names it in ``errors``, kept in the report.

In every case nothing is stored and the cursor stays where the last commit left it.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor import store
from monitor.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    ReplywatchError,
    SourceError,
    SourceUnavailable,
    StorageError,
)
from monitor.outbox import compute_backoff
from monitor.pipeline import BatchResult, Pipeline
from sources.base import Batch, Source

__all__ = ["OUTCOMES", "PollReport", "Poller", "SourceState", "next_attempt", "outcome"]

log = logging.getLogger(__name__)

#: Upper bound on pages drained in one poll, so one firehose cannot starve the others.
MAX_BATCHES_PER_POLL = 200
AUTH_RETRY = timedelta(minutes=15)


@dataclass
class SourceState:
    """What the poller remembers about a source between polls (in memory, per process)."""

    not_before: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    last_success: datetime | None = None


@dataclass
class PollReport:
    source: str
    batches: int = 0
    result: BatchResult = field(default_factory=BatchResult)
    #: Items the source could not read (a malformed line or entry, logged by the source):
    #: never posts, so outside ``result.fetched``.
    malformed: int = 0
    #: Parts of the source set aside this poll (``Batch.errors``); the rest was read.
    stream_errors: list[str] = field(default_factory=list)
    #: Why the poll stopped early, if it did.
    error: str | None = None
    waiting_until: datetime | None = None
    #: ``ok``, ``waiting`` (not tried: backing off, or pacing the platform's budget), or the
    #: failure's kind (:func:`outcome`).
    outcome: str = "ok"

    @property
    def problems(self) -> list[str]:
        return self.stream_errors + ([self.error] if self.error else [])


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def next_attempt(
    error: ReplywatchError,
    state: SourceState,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> datetime:
    """When to try a failed source again (pure: a function of the error, state and ``now``).
    A batch that could not be stored (:class:`StorageError`) backs off like an outage."""
    if isinstance(error, RateLimited):
        return now + timedelta(seconds=error.retry_after_s)
    if isinstance(error, AuthError):
        return now + AUTH_RETRY
    return now + timedelta(
        seconds=compute_backoff(state.failures, base_s=2.0, cap_s=600.0, rng=rng)
    )


#: A failed poll's outcome by its error's kind, the most specific first; any other error: ``error``.
_OUTCOMES: tuple[tuple[type[ReplywatchError], str], ...] = (
    (RateLimited, "rate_limited"),
    (AuthError, "auth"),
    (MalformedResponse, "malformed"),
    (SourceUnavailable, "unavailable"),
    (StorageError, "storage"),
)


#: Every outcome a poll can have (see :class:`PollReport`), for metrics.
OUTCOMES = ("ok", "waiting", *(name for _, name in _OUTCOMES), "error")


def outcome(error: ReplywatchError) -> str:
    """A failed poll's outcome, a short fixed name for metrics (``rate_limited``, ...)."""
    return next((name for kind, name in _OUTCOMES if isinstance(error, kind)), "error")


class Poller:
    """Polls sources into the store. ``clock`` returns an aware UTC ``now`` (tests control it)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime],
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.pipeline = pipeline
        self.clock = clock
        self.stop = stop or threading.Event()
        self.rng = rng
        self.states: dict[str, SourceState] = {}

    def state(self, source: Source) -> SourceState:
        return self.states.setdefault(source.name, SourceState())

    def poll(self, source: Source) -> PollReport:
        """One poll of ``source``: drain what it has, committing page by page."""
        state = self.state(source)
        report = PollReport(source=source.name)
        now = self.clock()
        if state.not_before is not None and now < state.not_before:
            report.waiting_until = state.not_before
            report.outcome = "waiting"
            return report
        while report.batches < MAX_BATCHES_PER_POLL and not self.stop.is_set():
            with self.sessions() as session:
                cursor = store.load_cursor(session, source.name)
            try:
                batch = source.fetch(cursor)
            except SourceError as exc:
                self._failed(source, state, exc, report)
                return report
            except Exception as exc:  # a bug in a source: keep the daemon and the cursor
                log.exception("source %s crashed while fetching", source.name)
                wrapped = SourceError(source.name, f"{type(exc).__name__}: {exc}")
                self._failed(source, state, wrapped, report)
                return report
            try:
                now, result = self._store(source, batch)
            except Exception as exc:  # rolled back, the cursor kept: the batch comes again
                log.exception("source %s: could not store a batch", source.name)
                # the first line only (SQLAlchemy puts the statement and its parameters on
                # the next ones), and not all of it: the report is printed and logged as is
                first_line = str(exc).partition("\n")[0]
                cause = _clip(f"{type(exc).__name__}: {first_line}", 300)
                message = f"source {source.name!r}: batch not stored ({cause})"
                self._failed(source, state, StorageError(message), report)
                return report
            report.batches += 1
            report.result.add(result)
            report.malformed += batch.skipped
            report.stream_errors += batch.errors  # the source has logged them
            state.failures = 0
            state.last_error = "; ".join(report.stream_errors) or None
            state.last_success = now
            state.not_before = (
                now + timedelta(seconds=batch.next_poll_after_s)
                if batch.next_poll_after_s
                else None
            )
            if result.stored or result.responses or result.edits or batch.skipped:
                log.info(  # in the words of poll --once's table and the metrics
                    "%s: %d fetched, %d stored, %d edits, %d responses, %d repeats, "
                    "%d unmatched, %d language_filtered, %d cases, %d malformed",
                    source.name,
                    result.fetched,
                    result.stored,
                    result.edits,
                    result.responses,
                    result.repeats,
                    result.unmatched,
                    result.language_filtered,
                    result.cases_opened,
                    batch.skipped,
                )
            if not batch.more:
                break
        return report

    def _store(self, source: Source, batch: Batch) -> tuple[datetime, BatchResult]:
        """Store ``batch`` and advance the cursor over it in one transaction; when it was."""
        with self.sessions() as session:  # a short read, closed before classifying
            seen = store.seen_keys(session, ((p.platform, p.native_id) for p in batch.posts))
        prepared = self.pipeline.prepare(batch.posts, seen=seen)
        now = self.clock()
        with self.sessions.begin() as session:
            result = self.pipeline.record(session, source.name, prepared, now=now)
            store.save_cursor(session, source.name, batch.cursor, now=now)
        return now, result

    def _failed(
        self, source: Source, state: SourceState, error: ReplywatchError, report: PollReport
    ) -> None:
        now = self.clock()
        state.failures += 1
        state.last_error = str(error)
        state.not_before = next_attempt(error, state, now=now, rng=self.rng)
        report.error = str(error)
        report.waiting_until = state.not_before
        report.outcome = outcome(error)
        if isinstance(error, AuthError):
            log.error("%s (fix the credentials named in the config)", error)
        elif isinstance(error, RateLimited | MalformedResponse):
            log.info("%s; next try at %s", error, state.not_before.isoformat())
        else:
            log.warning(
                "%s; attempt %d, next try at %s",
                error,
                state.failures,
                state.not_before.isoformat(),
            )
