"""Service clocks: when a case's acknowledgement, first response and resolution fall due.

Everything here is a pure function of its arguments and an aware UTC ``now``; the escalation
job and the reports call them and do the I/O.

Business time counts only the team's business hours, evaluated in the team's own time zone:
a 4-hour business standard for a complaint that arrives on Friday at 16:00 in London falls due
on Monday at 12:00.

The hours are one *shift* per listed day (:class:`~monitor.settings.BusinessHours`): it starts
at ``start`` on that day and ends at ``end`` the same day, or the next day when ``end`` is not
later than ``start`` (a night shift, 22:00 to 06:00; a 24-hour day when they are equal). So the
shift that started the day before may still be running: every search begins with the shift of
the local day before the moment asked about. Back-to-back 24-hour shifts meet exactly, one
ending at the instant the next begins, so a team that never closes counts every second once.

Each shift's ends are local wall-clock times converted to UTC, so the night the clocks change
shortens or lengthens a shift exactly as the team lives it (a 22:00-06:00 shift in London is 7
hours on the last Saturday night of March and 9 on the last one of October). A wall time is
read as the first instant the clock shows it (or a later time): in the hour repeated when the
clocks go back, its first occurrence; in the hour skipped when they go forward, the jump itself
(a shift "starting" at 02:30 in New York on the spring-forward night starts at 03:00 EDT, when
the clock passes 02:30). That reading never puts a later wall time at an earlier instant, so
shifts never overlap and no time is counted twice. :mod:`zoneinfo` alone (``fold=0``) would put
that skipped 02:30 at 03:30 EDT, so a shift ending at 02:30 would end half an hour after the
next one, starting at 03:00, had begun: half an hour counted twice.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.settings import BusinessHours, Standard, StandardsSettings

__all__ = [
    "ClockName",
    "ClockState",
    "add_business_time",
    "business_elapsed",
    "business_span",
    "case_clocks",
    "clock_noun",
    "due_at",
    "elapsed",
    "is_open",
    "next_opening",
]

#: Ten years of days: far beyond any standard, and a hard stop for a loop that cannot end.
_MAX_DAYS = 3660
#: How closely the instant of a clock change is found (tzdata's changes fall on whole seconds).
_RESOLUTION = timedelta(microseconds=1)


class ClockName(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"  # someone claimed it or an acknowledgement went out
    FIRST_RESPONSE = "first_response"  # a brand account replied or someone marked it responded
    RESOLVE = "resolve"  # the case was resolved (or dismissed)


#: What people call each clock: "missed its acknowledgement standard".
_NOUNS = {"acknowledge": "acknowledgement", "resolve": "resolution"}


def clock_noun(clock: str) -> str:
    """``acknowledge`` -> "acknowledgement", ``first_response`` -> "first response"."""
    return _NOUNS.get(clock, clock.replace("_", " "))


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a clock; use an aware UTC datetime")


def _windows(hours: BusinessHours, at: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Shifts in UTC, in order, from the first that can still be running at ``at``: the one
    starting on the local day before ``at``'s, since a night or 24-hour shift ends the day
    after it starts. (``at`` less 24 hours is not that day: after the clocks go back it can
    still be ``at``'s own date, and the previous evening's shift would be missed.)"""
    day: date = at.astimezone(ZoneInfo(hours.timezone)).date() - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        window = _day_window(hours, day)
        if window is not None:
            yield window
        day += timedelta(days=1)


@functools.lru_cache(maxsize=8192)
def _day_window(hours: BusinessHours, day: date) -> tuple[datetime, datetime] | None:
    """The shift starting on local ``day``, in UTC (``None``: a day off, or a shift that lies
    wholly inside an hour the clocks skip). Cached: every clock of every case walks the same
    few days, and time-zone arithmetic is the costly part."""
    if day.weekday() not in hours.weekday_numbers:
        return None
    zone = ZoneInfo(hours.timezone)
    ends_on = day if hours.end > hours.start else day + timedelta(days=1)
    opens = _first_instant(day, hours.start, zone)
    closes = _first_instant(ends_on, hours.end, zone)
    return (opens, closes) if closes > opens else None


def _first_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant, in UTC, at which the clock in ``zone`` shows ``wall`` on ``day`` or
    a later time: the first occurrence of a repeated time, the jump for a skipped one."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first occurrence
    after = local.astimezone(UTC)
    if after.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return after
    # Skipped. Read at the offset before the jump (fold=0) it lies after the jump; read at the
    # offset after (fold=1), before it. zoneinfo does not say when the jump is: halve the
    # interval down to a microsecond (about 32 steps, once per day thanks to the cache).
    before = local.replace(fold=1).astimezone(UTC)
    wanted = local.replace(tzinfo=None)
    while after - before > _RESOLUTION:
        middle = before + (after - before) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wanted:
            after = middle
        else:
            before = middle
    return after


def is_open(hours: BusinessHours, at: datetime) -> bool:
    """Whether ``at`` falls inside one of the team's shifts (the previous day's included)."""
    _require_aware(at)
    for opens, closes in _windows(hours, at):
        if opens > at:
            return False
        if opens <= at < closes:
            return True
    return False


def next_opening(hours: BusinessHours, at: datetime) -> datetime:
    """``at`` itself when the team is working, else the start of its next shift. At the
    instant one 24-hour shift hands over to the next, that is ``at``: the team never left."""
    _require_aware(at)
    for opens, closes in _windows(hours, at):
        if at < closes:
            return max(opens, at).astimezone(UTC)
    raise ValueError("business hours never open")  # pragma: no cover - days is never empty


def business_elapsed(hours: BusinessHours, start: datetime, end: datetime) -> timedelta:
    """Business time between ``start`` and ``end`` (zero when ``end`` is not later)."""
    _require_aware(start, end)
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in _windows(hours, start):
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
    for opens, closes in _windows(hours, start):
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
    weeks as working days and working weeks (``hours.days`` of them), as a team means "resolve
    within 3 days".

    A working day is one shift as the wall clock reads it, start to end: 8 hours for 09:00 to
    17:00 and for 22:00 to 06:00, 24 for a 24-hour day. The night the clocks change, a night
    shift is an hour shorter or longer than that, so "1d" begun as it starts ends an hour into
    the next shift (spring) or an hour before it ends (autumn): a span is an amount of
    business time, not a count of shifts.
    """
    if standard.unit not in ("d", "w"):
        return standard.within
    day = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
    if day <= timedelta(0):  # the shift ends the next day
        day += timedelta(days=1)
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
