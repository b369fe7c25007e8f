"""Service clocks: when a case's acknowledgement, first response and resolution fall due.

Everything here is a pure function of its arguments and an aware UTC ``now``; the escalation
job and the reports call them and do the I/O.

Business time counts only the team's business hours, evaluated in the team's own time zone:
a 4-hour business standard for a complaint that arrives on Friday at 16:00 in London falls due
on Monday at 12:00. Each day's window is built from local wall-clock times and converted to
UTC, so a DST change shortens or lengthens that day's hours exactly as the team lives it.
A business window that starts inside a DST gap (a local time that does not exist) is placed
by :mod:`zoneinfo`'s ``fold=0`` rule; no team in practice starts work at 01:30 on that night.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.settings import BusinessHours, Standard, StandardsSettings

__all__ = [
    "ClockName",
    "ClockState",
    "add_business_time",
    "business_elapsed",
    "business_span",
    "case_clocks",
    "due_at",
    "elapsed",
    "is_open",
    "next_opening",
]

#: Ten years of days: far beyond any standard, and a hard stop for a loop that cannot end.
_MAX_DAYS = 3660


class ClockName(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"  # someone claimed it or an acknowledgement went out
    FIRST_RESPONSE = "first_response"  # a brand account replied or someone marked it responded
    RESOLVE = "resolve"  # the case was resolved (or dismissed)


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a clock; use an aware UTC datetime")


def _windows(hours: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Business windows in UTC, in order, from the local day containing ``start`` onwards."""
    day: date = start.astimezone(ZoneInfo(hours.timezone)).date()
    for _ in range(_MAX_DAYS):
        window = _day_window(hours, day)
        if window is not None:
            yield window
        day += timedelta(days=1)


@functools.lru_cache(maxsize=8192)
def _day_window(hours: BusinessHours, day: date) -> tuple[datetime, datetime] | None:
    """One local day's business window in UTC (``None``: a day off). Cached: every clock of
    every case walks the same few days, and time-zone arithmetic is the costly part."""
    if day.weekday() not in hours.weekday_numbers:
        return None
    zone = ZoneInfo(hours.timezone)
    opens = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
    return (opens, closes) if closes > opens else None


def is_open(hours: BusinessHours, at: datetime) -> bool:
    """Whether ``at`` falls inside the team's business hours."""
    _require_aware(at)
    for opens, closes in _windows(hours, at - timedelta(days=1)):
        if opens > at:
            return False
        if opens <= at < closes:
            return True
    return False


def next_opening(hours: BusinessHours, at: datetime) -> datetime:
    """``at`` itself when the team is working, else the start of its next business window."""
    _require_aware(at)
    for opens, closes in _windows(hours, at - timedelta(days=1)):
        if at < closes:
            return max(opens, at).astimezone(UTC)
    raise ValueError("business hours never open")  # pragma: no cover - days is never empty


def business_elapsed(hours: BusinessHours, start: datetime, end: datetime) -> timedelta:
    """Business time between ``start`` and ``end`` (zero when ``end`` is not later)."""
    _require_aware(start, end)
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in _windows(hours, start - timedelta(days=1)):
        if opens >= end:
            break
        lo, hi = max(opens, start), min(closes, end)
        if hi > lo:
            total += hi - lo
    return total


def add_business_time(hours: BusinessHours, start: datetime, duration: timedelta) -> datetime:
    """The moment ``duration`` of business time after ``start`` has passed."""
    _require_aware(start)
    remaining = duration
    if remaining <= timedelta(0):
        return start.astimezone(UTC)
    for opens, closes in _windows(hours, start - timedelta(days=1)):
        if closes <= start:
            continue
        lo = max(opens, start)
        available = closes - lo
        if remaining <= available:
            return (lo + remaining).astimezone(UTC)
        remaining -= available
    raise ValueError("business hours never open")  # pragma: no cover - days is never empty


def business_span(standard: Standard, hours: BusinessHours) -> timedelta:
    """How much business time ``standard.within`` is: hours and minutes as written; days and
    weeks as working days (opening to closing, each) and working weeks (``hours.days`` of
    them), as a team means "resolve within 3 days"."""
    if standard.unit not in ("d", "w"):
        return standard.within
    day = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
    if standard.unit == "d":
        return day * (standard.within / timedelta(days=1))
    return day * len(hours.days) * (standard.within / timedelta(weeks=1))


def due_at(standard: Standard, hours: BusinessHours, start: datetime) -> datetime:
    """When a clock started at ``start`` falls due under ``standard``."""
    _require_aware(start)
    if standard.time == "business":
        return add_business_time(hours, start, business_span(standard, hours))
    return (start + standard.within).astimezone(UTC)


def elapsed(standard: Standard, hours: BusinessHours, start: datetime, end: datetime) -> timedelta:
    """Time counted against ``standard`` between ``start`` and ``end``."""
    if standard.time == "business":
        return business_elapsed(hours, start, end)
    return max(end - start, timedelta(0))


@dataclass(frozen=True, slots=True)
class ClockState:
    """One clock of one case at ``now``.

    ``stopped_at`` is when the clock was satisfied (``None`` while it runs). ``met`` is
    ``True`` when it stopped by its due time, ``False`` once it stopped late or is running past
    its due time, and ``None`` while it runs and is not yet due.
    """

    name: ClockName
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    met: bool | None
    standard: Standard

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def breached(self, now: datetime) -> bool:
        return self.met is False and (self.stopped_at is not None or now >= self.due_at)

    def warn_at(self, warn_before: timedelta) -> datetime:
        return max(self.started_at, self.due_at - warn_before)


def _state(
    name: ClockName,
    standard: Standard,
    hours: BusinessHours,
    *,
    started_at: datetime,
    stopped_at: datetime | None,
    now: datetime,
) -> ClockState:
    due = due_at(standard, hours, started_at)
    if stopped_at is not None:
        met: bool | None = stopped_at <= due
    else:
        met = False if now >= due else None
    return ClockState(name, started_at, due, stopped_at, met, standard)


def case_clocks(
    *,
    opened_at: datetime,
    severity: str,
    acknowledged_at: datetime | None,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    standards: StandardsSettings,
    hours: BusinessHours,
    now: datetime,
) -> dict[ClockName, ClockState]:
    """The three clocks of a case, each against its team's standard.

    A response also satisfies acknowledgement (answering is the strongest acknowledgement);
    resolving without a response satisfies neither response clock, so a case closed in
    silence still counts against the first-response standard.
    """
    _require_aware(opened_at, now)
    first = standards.first_response.get(severity) or standards.first_response["normal"]  # type: ignore[call-overload]
    ack_stop = min((t for t in (acknowledged_at, first_response_at) if t is not None), default=None)
    return {
        ClockName.ACKNOWLEDGE: _state(
            ClockName.ACKNOWLEDGE,
            standards.acknowledge,
            hours,
            started_at=opened_at,
            stopped_at=ack_stop,
            now=now,
        ),
        ClockName.FIRST_RESPONSE: _state(
            ClockName.FIRST_RESPONSE,
            first,
            hours,
            started_at=opened_at,
            stopped_at=first_response_at,
            now=now,
        ),
        ClockName.RESOLVE: _state(
            ClockName.RESOLVE,
            standards.resolve,
            hours,
            started_at=opened_at,
            stopped_at=resolved_at,
            now=now,
        ),
    }
