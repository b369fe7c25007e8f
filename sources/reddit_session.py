"""prawcore made to plan instead of sleep: the shared rate budget, no in-call retries, our timeout.

prawcore would sleep inside a call to pace requests (or for a whole reset when the budget is
spent) and retry 5xx and timeouts with sleeps, re-POSTing a reply whose outcome is unknown.
These replacements switch both off; :class:`sources.reddit.RedditSource` does the planning.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import prawcore
from prawcore.rate_limit import RateLimiter
from prawcore.sessions import RetryStrategy

__all__ = [
    "Budget",
    "NoRetry",
    "PlannedRateLimiter",
    "Requestor",
    "ratelimit_message_s",
    "retry_after_s",
]

DEFAULT_RETRY_AFTER_S = 60.0
_RATELIMIT_MESSAGE = re.compile(r"(\d+)\s+(millisecond|second|minute)s?", re.IGNORECASE)


@dataclass
class Budget:
    """The ``x-ratelimit-*`` headers last seen, shared by both praw instances (one client id)."""

    clock: Callable[[], datetime]
    remaining: float | None = None
    used: int | None = None
    reset_at: datetime | None = None
    #: Reddit's clock minus ours, from the last answer's ``Date`` header (whole seconds).
    skew_s: float = 0.0

    def server_now(self) -> datetime:
        """Reddit's time now, as far as its last answer told: ``created_utc`` values are on
        its clock, so positions compared with them must be too (ours may be minutes off)."""
        return self.clock() + timedelta(seconds=self.skew_s)

    def observe(self, headers: Mapping[str, str]) -> None:
        with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
            said = parsedate_to_datetime(headers["date"])
            if said.tzinfo is not None:
                self.skew_s = (said - self.clock()).total_seconds()
        try:
            remaining = float(headers["x-ratelimit-remaining"])
            used = int(float(headers["x-ratelimit-used"]))
            reset_s = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            if self.remaining is not None:  # no headers: count it as one request, like prawcore
                self.remaining -= 1
            return
        self.remaining, self.used = remaining, used
        self.reset_at = datetime.fromtimestamp(self.clock().timestamp() + reset_s, UTC)

    def reset_in_s(self) -> float:
        if self.reset_at is None:
            return 0.0
        return max(0.0, (self.reset_at - self.clock()).total_seconds())

    def exhausted(self, reserve: int) -> bool:
        """True while the window lasts and at most ``reserve`` requests are left."""
        return self.remaining is not None and self.remaining <= reserve and self.reset_in_s() > 0


class PlannedRateLimiter(RateLimiter):
    """prawcore's limiter without the sleeping: :class:`RedditSource` plans instead."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(window_size=600)
        self._budget = budget

    def delay(self) -> None:
        return None

    def update(self, *, response_headers: Mapping[str, str]) -> None:
        self._budget.observe(response_headers)


class NoRetry(RetryStrategy):
    """No retries inside a call: the poller backs off, and a POST is never sent twice."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> NoRetry:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


class Requestor(prawcore.Requestor):
    """Applies our timeout to every call (prawcore passes its global 16 s to API calls)."""

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return super().request(*args, timeout=self.timeout, **kwargs)


def retry_after_s(headers: Mapping[str, str]) -> float:
    for header in ("x-ratelimit-reset", "retry-after"):
        try:
            return max(0.0, float(headers[header]))
        except (KeyError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER_S


def ratelimit_message_s(message: str | None) -> float:
    """Seconds from "Take a break for 5 minutes before trying again." style messages."""
    match = _RATELIMIT_MESSAGE.search(message or "")
    if not match:
        return DEFAULT_RETRY_AFTER_S
    amount, unit = int(match.group(1)), match.group(2).lower()
    return (
        math.ceil(amount / 1000)
        if unit == "millisecond"
        else amount * (60 if unit == "minute" else 1)
    )
