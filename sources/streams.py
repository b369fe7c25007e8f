"""Keeping one failing stream of a source from silencing the others.

Reddit and X read several *streams* per poll cycle (a search, subreddit listings, the brand's
mentions and own replies), one page per fetch, in a fixed order. If a stream failed by
raising, the source would stop at it and retry it first on every poll: a subreddit that went
private, or a query X rejects, would hold back every stream after it, the brand's replies
included (their clocks would never stop). So a failing stream is *set aside*: the cycle moves
on without it, its position stays where its last page left it (it catches up when it comes
back), and it is skipped until :data:`PAUSE` has passed. The decision is :func:`set_aside`,
a pure function of the error and the stream's run of failures:

* :class:`~monitor.errors.Refused` (the platform will go on refusing it): at once;
* :class:`~monitor.errors.SourceUnavailable`, :class:`~monitor.errors.MalformedResponse` and
  other failures: raised, so the poller backs off and retries that stream, and set aside at
  the :data:`TRIES`-th failure in a row;
* :class:`~monitor.errors.RateLimited` and :class:`~monitor.errors.AuthError`: never (they
  concern the whole source: wait for the reset, fix the credentials).

A source may pass ``credentials=False`` for an :class:`AuthError` that concerns one stream
only (the brand account's login, which only its inbox uses).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.errors import AuthError, RateLimited, Refused, SourceError

__all__ = ["PAUSE", "TRIES", "StreamGuard", "set_aside"]

log = logging.getLogger(__name__)

#: How long a stream set aside is skipped before it is tried again.
PAUSE = timedelta(minutes=15)
#: Failures in a row after which a stream failing transiently is set aside.
TRIES = 3


def set_aside(error: SourceError, failures: int, *, credentials: bool = True) -> bool:
    """Whether a stream that failed with ``error``, its ``failures``-th time in a row, is set
    aside (``True``) or the error is raised for the poller to back off (``False``)."""
    if isinstance(error, RateLimited):
        return False
    if isinstance(error, AuthError):
        return not credentials
    return isinstance(error, Refused) or failures >= TRIES


class StreamGuard:
    """The streams of one source that are failing or set aside (in memory, per process)."""

    def __init__(self, source: str, clock: Callable[[], datetime]) -> None:
        self.source = source
        self.clock = clock
        self._failures: dict[str, int] = {}
        self._until: dict[str, datetime] = {}

    def paused(self, key: str) -> bool:
        until = self._until.get(key)
        return until is not None and self.clock() < until

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
        self._until.pop(key, None)

    def failed(self, key: str, error: SourceError, *, credentials: bool = True) -> str:
        """Record ``error`` on stream ``key``: its message, when the stream is set aside
        (logged as an error); raises ``error`` when the poller should back off instead."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        if not set_aside(error, failures, credentials=credentials):
            raise error
        self._failures.pop(key, None)
        self._until[key] = self.clock() + PAUSE
        minutes = int(PAUSE.total_seconds() // 60)
        message = f"{error}; stream {key} set aside for {minutes} min, the others go on"
        log.error("%s", message)
        return message
