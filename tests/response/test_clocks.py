"""Service clocks on a controllable time source: business hours, weekends, DST, time zones.

Every expected instant below is worked out by hand from the calendar (the comments say how),
never by calling the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from monitor.clocks import (
    ClockName,
    add_business_time,
    business_elapsed,
    case_clocks,
    due_at,
    is_open,
    next_opening,
)
from monitor.settings import BusinessHours, Standard, StandardsSettings
from tests.fakes import FakeClock

LONDON = BusinessHours(timezone="Europe/London")  # mon-fri 09:00-17:00
TEHRAN = BusinessHours(
    timezone="Asia/Tehran",
    days=("sat", "sun", "mon", "tue", "wed"),
    start=time(8, 0),
    end=time(16, 0),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("within", "due"),
    [
        # Mon 23 Nov 15:00 GMT: 2h left on Monday; a working day is 09:00-17:00, 8h
        ("3d", utc(2026, 11, 26, 15, 0)),  # three working days: Thu 15:00
        ("1w", utc(2026, 11, 30, 15, 0)),  # five working days (mon-fri): next Mon 15:00
        ("1.5d", utc(2026, 11, 25, 11, 0)),  # 12 working hours: 2 Mon + 8 Tue + 2 Wed
        # hours stay working hours: 72h is 2 on Mon + 8 days of 8 (64) + 6 on Fri 4 Dec
        ("72h", utc(2026, 12, 4, 15, 0)),
    ],
)
def test_business_days_and_weeks_are_working_days(within: str, due: datetime) -> None:
    """A team that writes "resolve within 3d, business" means three working days; read as 72
    working hours it would fall due nine working days later, and breach a week late."""
    standards = StandardsSettings.model_validate(
        {"resolve": {"within": within, "time": "business"}}
    )
    assert due_at(standards.resolve, LONDON, utc(2026, 11, 23, 15, 0)) == due


def test_the_default_resolve_standard_is_three_working_days() -> None:
    resolve = StandardsSettings().resolve
    assert due_at(resolve, LONDON, utc(2026, 11, 23, 15, 0)) == utc(2026, 11, 26, 15, 0)


def test_friday_afternoon_complaint_falls_due_on_monday_in_london() -> None:
    # Fri 2026-11-20 16:00 GMT (= UTC in November): 1h left on Friday, 3h more from Mon 09:00
    start = utc(2026, 11, 20, 16, 0)
    assert add_business_time(LONDON, start, timedelta(hours=4)) == utc(2026, 11, 23, 12, 0)
    # Fri 16:00 -> Mon 10:00 is 1h on Friday + 1h on Monday; the weekend counts for nothing
    assert business_elapsed(LONDON, start, utc(2026, 11, 23, 10, 0)) == timedelta(hours=2)


def test_spring_forward_shifts_the_monday_window_an_hour_earlier_in_utc() -> None:
    # Clocks go forward on Sun 2027-03-28. Fri 26 March 16:00 GMT = 16:00 UTC: 1h on Friday;
    # Monday 29 March opens at 09:00 BST = 08:00 UTC, so 3h more ends at 11:00 UTC.
    start = utc(2027, 3, 26, 16, 0)
    assert add_business_time(LONDON, start, timedelta(hours=4)) == utc(2027, 3, 29, 11, 0)
    assert not is_open(LONDON, utc(2027, 3, 29, 7, 59))
    assert is_open(LONDON, utc(2027, 3, 29, 8, 0))


def test_fall_back_shifts_the_monday_window_an_hour_later_in_utc() -> None:
    # Clocks go back on Sun 2026-10-25. Fri 23 Oct 16:30 BST = 15:30 UTC: 30 min on Friday;
    # Monday 26 Oct opens at 09:00 GMT = 09:00 UTC, so the other 90 min end at 10:30 UTC.
    start = utc(2026, 10, 23, 15, 30)
    assert add_business_time(LONDON, start, timedelta(hours=2)) == utc(2026, 10, 26, 10, 30)
    # Friday 16:00 UTC is 17:00 BST: closed, although 16:00 UTC is inside 09-17 in UTC terms
    assert not is_open(LONDON, utc(2026, 10, 23, 16, 0))


def test_tehran_week_runs_saturday_to_wednesday_at_utc_plus_three_thirty() -> None:
    # Thu 2026-11-19 10:00 UTC = 13:30 in Tehran, a Thursday: closed until Sat 08:00 local,
    # which is Sat 2026-11-21 04:30 UTC. Four business hours later: 08:30 UTC.
    thursday = utc(2026, 11, 19, 10, 0)
    assert not is_open(TEHRAN, thursday)
    assert next_opening(TEHRAN, thursday) == utc(2026, 11, 21, 4, 30)
    assert add_business_time(TEHRAN, thursday, timedelta(hours=4)) == utc(2026, 11, 21, 8, 30)
    # Wed 2026-11-18 15:00 local = 11:30 UTC; one hour left that day, then Saturday 04:30 UTC
    wednesday = utc(2026, 11, 18, 11, 30)
    assert add_business_time(TEHRAN, wednesday, timedelta(hours=3)) == utc(2026, 11, 21, 6, 30)


def test_same_instant_two_teams_two_answers() -> None:
    # Sat 2026-11-21 06:00 UTC: the London team is off for the weekend, Tehran is at work
    # (09:30 local on Saturday).
    at = utc(2026, 11, 21, 6, 0)
    assert not is_open(LONDON, at) and is_open(TEHRAN, at)
    assert next_opening(LONDON, at) == utc(2026, 11, 23, 9, 0)
    assert next_opening(TEHRAN, at) == at


def test_calendar_standard_ignores_business_hours() -> None:
    standard = Standard(within=timedelta(minutes=15), time="calendar")
    start = utc(2026, 11, 21, 23, 55)  # Saturday night
    assert due_at(standard, LONDON, start) == utc(2026, 11, 22, 0, 10)


def test_case_clocks_run_stop_and_breach_as_the_clock_moves() -> None:
    standards = StandardsSettings(
        acknowledge=Standard(within=timedelta(minutes=15)),
        resolve=Standard(within=timedelta(hours=8), time="business"),
    )
    clock = FakeClock(utc(2026, 11, 20, 10, 0))  # Friday 10:00 London
    opened = clock.now

    def clocks(**stops: datetime | None) -> dict[ClockName, object]:
        return case_clocks(
            opened_at=opened,
            severity="normal",
            acknowledged_at=stops.get("ack"),
            first_response_at=stops.get("first"),
            resolved_at=stops.get("resolved"),
            standards=standards,
            hours=LONDON,
            now=clock.now,
        )

    state = clocks()
    ack = state[ClockName.ACKNOWLEDGE]
    assert ack.due_at == utc(2026, 11, 20, 10, 15) and ack.met is None and ack.running
    # normal severity: 4 business hours -> 14:00 the same Friday
    assert state[ClockName.FIRST_RESPONSE].due_at == utc(2026, 11, 20, 14, 0)
    # resolve: 8 business hours -> 7h on Friday (10-17), 1h on Monday -> Mon 10:00
    assert state[ClockName.RESOLVE].due_at == utc(2026, 11, 23, 10, 0)

    clock.advance(timedelta(minutes=20))
    state = clocks()
    assert state[ClockName.ACKNOWLEDGE].met is False
    assert state[ClockName.ACKNOWLEDGE].breached(clock.now)
    assert state[ClockName.FIRST_RESPONSE].met is None

    # a response at 10:12 stops both the acknowledgement and the first-response clocks in time
    state = clocks(first=utc(2026, 11, 20, 10, 12))
    assert state[ClockName.ACKNOWLEDGE].met is True
    assert state[ClockName.FIRST_RESPONSE].met is True
    assert state[ClockName.RESOLVE].running

    clock.advance(timedelta(days=3))  # Mon 10:20: past the resolve due time
    assert clocks(first=utc(2026, 11, 20, 10, 12))[ClockName.RESOLVE].met is False


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(LONDON, datetime(2026, 11, 20, 10, 0))
