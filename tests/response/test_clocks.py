"""Service clocks on a controllable time source: business hours, weekends, DST, time zones.

Every expected instant below is worked out by hand from the calendar (the comments say how),
never by calling the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from monitor.clocks import (
    ClockName,
    ClockState,
    add_business_time,
    business_elapsed,
    case_clocks,
    due_at,
    is_open,
    next_opening,
)
from monitor.routing import choose_owner
from monitor.settings import BusinessHours, Member, Standard, StandardsSettings, Team
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


# ------------------------------------------------------------ night and 24-hour shifts
#
# November 2026 in London is GMT (= UTC): Mon 16, Thu 19, Fri 20, Sat 21, Sun 22, Mon 23.
# Clocks change in London on Sun 2027-03-28 (01:00 GMT -> 02:00 BST) and Sun 2026-10-25
# (02:00 BST -> 01:00 GMT); in New York on Sun 2027-03-14 (02:00 EST -> 03:00 EDT, at 07:00
# UTC) and Sun 2027-11-07 (02:00 EDT -> 01:00 EST, at 06:00 UTC).

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Monday to Friday nights, 22:00 to 06:00: the Friday shift runs into Saturday morning.
NIGHTS = BusinessHours(timezone="Europe/London", start=time(22, 0), end=time(6, 0))
#: Every night of the week, 22:00 to 06:00.
EVERY_NIGHT = BusinessHours(
    timezone="Europe/London", days=ALL_DAYS, start=time(22, 0), end=time(6, 0)
)
#: Never closes: seven 24-hour days from midnight.
ALWAYS = BusinessHours(timezone="Europe/London", days=ALL_DAYS, start=time(0), end=time(0))
#: Round the clock on weekdays: Monday 00:00 to Saturday 00:00.
WEEKDAYS_24H = BusinessHours(timezone="Europe/London", start=time(0), end=time(0))
#: 24-hour shifts handed over at 09:00: Monday 09:00 to Saturday 09:00.
HANDOVER_09 = BusinessHours(timezone="Europe/London", start=time(9), end=time(9))


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (utc(2026, 11, 19, 12, 0), False),  # Thursday midday: between shifts
        (utc(2026, 11, 20, 21, 59), False),
        (utc(2026, 11, 20, 22, 0), True),  # Friday's shift starts
        (utc(2026, 11, 21, 5, 59), True),  # ... and is still running on Saturday morning
        (utc(2026, 11, 21, 6, 0), False),
        (utc(2026, 11, 21, 22, 0), False),  # no shift starts on Saturday
        (utc(2026, 11, 22, 23, 0), False),  # nor Sunday
        (utc(2026, 11, 23, 1, 0), False),  # so Monday's small hours are off
        (utc(2026, 11, 23, 22, 0), True),  # Monday's shift
        (utc(2026, 11, 24, 5, 0), True),  # ... running into Tuesday
    ],
)
def test_a_night_shift_belongs_to_the_day_it_starts(at: datetime, open_: bool) -> None:
    """A night team once could not be configured at all (end before start was refused)."""
    assert is_open(NIGHTS, at) is open_


def test_the_next_night_shift_after_the_weekend() -> None:
    assert next_opening(NIGHTS, utc(2026, 11, 20, 23, 0)) == utc(2026, 11, 20, 23, 0)
    # Saturday 06:00, Friday's shift just over: the next is Monday's, at 22:00
    assert next_opening(NIGHTS, utc(2026, 11, 21, 6, 0)) == utc(2026, 11, 23, 22, 0)
    assert next_opening(NIGHTS, utc(2026, 11, 23, 1, 0)) == utc(2026, 11, 23, 22, 0)


def test_business_time_runs_through_the_night_shifts() -> None:
    # Fri 04:00 is in Thursday's shift: 2h to 06:00, then 2h from Fri 22:00 -> Sat 00:00
    assert add_business_time(NIGHTS, utc(2026, 11, 20, 4, 0), timedelta(hours=4)) == utc(
        2026, 11, 21, 0, 0
    )
    # Sat 04:00 is in Friday's shift: 2h to 06:00, then 2h from Mon 22:00 -> Tue 00:00
    assert add_business_time(NIGHTS, utc(2026, 11, 21, 4, 0), timedelta(hours=4)) == utc(
        2026, 11, 24, 0, 0
    )
    # Fri 21:00 -> Tue 01:00: Friday's shift 8h + Monday's 22:00-01:00 3h
    assert business_elapsed(NIGHTS, utc(2026, 11, 20, 21, 0), utc(2026, 11, 24, 1, 0)) == (
        timedelta(hours=11)
    )
    # Sat 05:00 -> Sat 23:00: the last hour of Friday's shift, nothing on Saturday night
    assert business_elapsed(NIGHTS, utc(2026, 11, 21, 5, 0), utc(2026, 11, 21, 23, 0)) == (
        timedelta(hours=1)
    )


@pytest.mark.parametrize(
    ("within", "due"),
    [
        # from Fri 20 Nov 23:00: 7h left of Friday's shift; a working day is one 8h shift
        ("1d", utc(2026, 11, 23, 23, 0)),  # 7h Fri + 1h from Mon 22:00
        ("1.5d", utc(2026, 11, 24, 3, 0)),  # 12h: 7 Fri + 5 from Mon 22:00
        ("3d", utc(2026, 11, 25, 23, 0)),  # 24h: 7 Fri + 8 Mon + 8 Tue + 1 from Wed 22:00
        ("1w", utc(2026, 11, 27, 23, 0)),  # five shifts, 40h: 7+8+8+8+8, 1 from Fri 22:00
    ],
)
def test_a_working_day_of_a_night_team_is_one_shift(within: str, due: datetime) -> None:
    """22:00 to 06:00 is an 8-hour working day; read as end minus start it was -16 hours."""
    standard = Standard.model_validate({"within": within, "time": "business"})
    assert due_at(standard, NIGHTS, utc(2026, 11, 20, 23, 0)) == due


def test_case_clocks_of_a_night_team() -> None:
    opened = utc(2026, 11, 20, 5, 0)  # Fri 05:00, the last hour of Thursday's shift

    def clocks(now: datetime, first: datetime | None = None) -> dict[ClockName, ClockState]:
        return case_clocks(
            opened_at=opened,
            severity="normal",
            acknowledged_at=None,
            first_response_at=first,
            resolved_at=None,
            standards=StandardsSettings(),
            hours=NIGHTS,
            now=now,
        )

    state = clocks(utc(2026, 11, 20, 12, 0))
    assert state[ClockName.ACKNOWLEDGE].due_at == utc(2026, 11, 20, 5, 15)  # calendar, 15m
    # normal: 4 business hours = 1h of Thursday's shift + 3h from Fri 22:00 -> Sat 01:00
    first = state[ClockName.FIRST_RESPONSE]
    assert first.due_at == utc(2026, 11, 21, 1, 0) and first.met is None
    # resolve "3d" = three 8h shifts: 1 Thu + 8 Fri + 8 Mon + 7 from Tue 22:00 -> Wed 05:00
    assert state[ClockName.RESOLVE].due_at == utc(2026, 11, 25, 5, 0)
    late = clocks(utc(2026, 11, 21, 1, 0))[ClockName.FIRST_RESPONSE]
    assert late.met is False and late.breached(utc(2026, 11, 21, 1, 0))
    answered = clocks(utc(2026, 11, 21, 2, 0), first=utc(2026, 11, 20, 22, 30))
    assert answered[ClockName.FIRST_RESPONSE].met is True


def test_a_night_team_is_on_duty_in_the_small_hours_and_waits_for_monday_night() -> None:
    team = Team(slack_channel="#nights", members=(Member(name="Ana"),), business_hours=NIGHTS)
    on_duty = choose_owner(team, open_cases={}, now=utc(2026, 11, 21, 5, 0))  # Sat 05:00
    assert (on_duty.owner, on_duty.reason) == ("Ana", "on_duty")
    waiting = choose_owner(team, open_cases={}, now=utc(2026, 11, 21, 12, 0))  # Sat noon
    assert (waiting.owner, waiting.until) == (None, utc(2026, 11, 23, 22, 0))


@pytest.mark.parametrize(
    ("hours", "opens", "closes"),
    [
        # Sat 27 Mar 22:00 GMT -> Sun 28 Mar 06:00 BST (05:00 UTC): 7 hours
        (EVERY_NIGHT, utc(2027, 3, 27, 22), utc(2027, 3, 28, 5)),
        # Sat 24 Oct 22:00 BST (21:00 UTC) -> Sun 25 Oct 06:00 GMT: 9 hours
        (EVERY_NIGHT, utc(2026, 10, 24, 21), utc(2026, 10, 25, 6)),
        # New York, Sat 13 Mar 22:00 EST (Sun 03:00 UTC) -> Sun 14 Mar 06:00 EDT (10:00 UTC)
        (
            BusinessHours(timezone="America/New_York", days=ALL_DAYS, start=time(22), end=time(6)),
            utc(2027, 3, 14, 3),
            utc(2027, 3, 14, 10),
        ),
        # New York, Sat 6 Nov 22:00 EDT (Sun 02:00 UTC) -> Sun 7 Nov 06:00 EST (11:00 UTC)
        (
            BusinessHours(timezone="America/New_York", days=ALL_DAYS, start=time(22), end=time(6)),
            utc(2027, 11, 7, 2),
            utc(2027, 11, 7, 11),
        ),
    ],
    ids=["london-spring", "london-autumn", "new-york-spring", "new-york-autumn"],
)
def test_a_night_shift_across_a_clock_change_is_as_long_as_the_team_works_it(
    hours: BusinessHours, opens: datetime, closes: datetime
) -> None:
    minute = timedelta(minutes=1)
    assert not is_open(hours, opens - minute) and is_open(hours, opens)
    assert is_open(hours, closes - minute) and not is_open(hours, closes)
    # from Saturday noon (local, whatever the zone) the next opening is that shift
    noon = opens - timedelta(hours=10)
    assert next_opening(hours, noon) == opens
    # the shift is all the business time from Saturday noon to Sunday noon
    assert business_elapsed(hours, noon, noon + timedelta(days=1)) == closes - opens
    assert add_business_time(hours, noon, closes - opens) == closes


def test_a_night_shift_ending_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    # Saturday 20:00 to 01:30, on the night London's 01:00-02:00 happens twice: the shift ends
    # the first time the clock shows 01:30 (BST, 00:30 UTC), not an hour later
    hours = BusinessHours(timezone="Europe/London", days=("sat",), start=time(20), end=time(1, 30))
    assert is_open(hours, utc(2026, 10, 25, 0, 29))
    assert not is_open(hours, utc(2026, 10, 25, 0, 30))
    assert not is_open(hours, utc(2026, 10, 25, 1, 0))  # 01:00 GMT, the second time round
    # Sat 19:00 UTC (20:00 BST) -> 00:30 UTC: 5h30m
    assert business_elapsed(hours, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)) == timedelta(
        hours=5, minutes=30
    )


def test_a_shift_starting_in_the_skipped_hour_starts_when_the_clocks_jump() -> None:
    # New York skips 02:00-03:00 on Sun 14 Mar 2027: the clock passes 02:30 at the jump,
    # 07:00 UTC (03:00 EDT), and the Sunday shift starts then; it ends 10:00 EDT = 14:00 UTC
    hours = BusinessHours(
        timezone="America/New_York", days=("sun",), start=time(2, 30), end=time(10)
    )
    assert not is_open(hours, utc(2027, 3, 14, 6, 59))
    assert is_open(hours, utc(2027, 3, 14, 7, 0))
    assert next_opening(hours, utc(2027, 3, 14, 0, 0)) == utc(2027, 3, 14, 7, 0)
    assert business_elapsed(hours, utc(2027, 3, 14, 0), utc(2027, 3, 15, 0)) == timedelta(hours=7)


def test_shifts_meeting_in_the_skipped_hour_neither_overlap_nor_leave_a_gap() -> None:
    # 03:00 to 02:30 the next day on Saturdays and Sundays, New York. Saturday's shift
    # (Sat 13 Mar 03:00 EST = 08:00 UTC) ends at 02:30 on Sunday, which is skipped: it ends at
    # the jump, 07:00 UTC, the instant Sunday's shift starts (03:00 EDT). Placed by zoneinfo
    # alone the end was 07:30 UTC, and half an hour was counted in both shifts.
    hours = BusinessHours(
        timezone="America/New_York", days=("sat", "sun"), start=time(3), end=time(2, 30)
    )
    assert business_elapsed(hours, utc(2027, 3, 13, 12), utc(2027, 3, 14, 12)) == timedelta(
        hours=24
    )
    # Sun 06:00 UTC + 2h of business time, all of it worked without a break: 08:00 UTC
    assert add_business_time(hours, utc(2027, 3, 14, 6), timedelta(hours=2)) == utc(2027, 3, 14, 8)


@pytest.mark.parametrize(
    "at",
    [
        utc(2027, 3, 28, 0, 59),  # 00:59 GMT, a minute before the clocks go forward
        utc(2027, 3, 28, 1, 0),  # 02:00 BST
        utc(2027, 3, 28, 23, 0),  # Mon 00:00 BST: Sunday's 23-hour day hands over to Monday's
        utc(2026, 10, 25, 0, 30),  # 01:30 BST
        utc(2026, 10, 25, 1, 30),  # 01:30 GMT, the same wall time again
        utc(2026, 10, 26, 0, 0),  # Mon 00:00 GMT: Sunday's 25-hour day hands over
    ],
)
def test_a_team_that_never_closes_is_open_through_every_clock_change(at: datetime) -> None:
    assert is_open(ALWAYS, at)
    assert next_opening(ALWAYS, at) == at


def test_a_team_that_never_closes_counts_every_second_once() -> None:
    # across the spring-forward Sunday (23 hours long) and the autumn one (25 hours long),
    # business time is plain elapsed time: no hour lost at a hand-over, none counted twice
    assert business_elapsed(ALWAYS, utc(2027, 3, 27, 12), utc(2027, 3, 29, 12)) == timedelta(
        hours=48
    )
    assert business_elapsed(ALWAYS, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)) == timedelta(
        hours=48
    )
    assert add_business_time(ALWAYS, utc(2026, 10, 24, 12), timedelta(hours=48)) == utc(
        2026, 10, 26, 12
    )
    # a 4-hour business standard for a complaint on Saturday night: the weekend counts
    assert add_business_time(ALWAYS, utc(2026, 11, 21, 23), timedelta(hours=4)) == utc(
        2026, 11, 22, 3
    )
    # a working day is 24 hours, a working week 7 of them
    day = Standard.model_validate({"within": "1d", "time": "business"})
    week = Standard.model_validate({"within": "1w", "time": "business"})
    assert due_at(day, ALWAYS, utc(2027, 3, 27, 12)) == utc(2027, 3, 28, 12)
    assert due_at(week, ALWAYS, utc(2027, 3, 27, 12)) == utc(2027, 4, 3, 12)


def test_round_the_clock_weekdays_close_for_the_weekend() -> None:
    assert is_open(WEEKDAYS_24H, utc(2026, 11, 20, 23, 59))  # Fri 23:59
    assert not is_open(WEEKDAYS_24H, utc(2026, 11, 21, 0, 0))  # Sat 00:00
    assert next_opening(WEEKDAYS_24H, utc(2026, 11, 21, 0, 0)) == utc(2026, 11, 23, 0, 0)
    # Fri 23:00 + 4h: 1h on Friday, 3h from Mon 00:00
    assert add_business_time(WEEKDAYS_24H, utc(2026, 11, 20, 23), timedelta(hours=4)) == utc(
        2026, 11, 23, 3
    )
    # Thu 12:00 -> Tue 12:00: 12h Thu + 24h Fri + 24h Mon + 12h Tue
    assert business_elapsed(
        WEEKDAYS_24H, utc(2026, 11, 19, 12), utc(2026, 11, 24, 12)
    ) == timedelta(hours=72)
    # a working week is five 24-hour days: Monday 09:00 to the next Monday 09:00
    week = Standard.model_validate({"within": "1w", "time": "business"})
    assert due_at(week, WEEKDAYS_24H, utc(2026, 11, 23, 9)) == utc(2026, 11, 30, 9)


def test_a_24_hour_shift_from_friday_runs_into_saturday() -> None:
    assert is_open(HANDOVER_09, utc(2026, 11, 21, 8, 59))  # Sat 08:59, Friday's shift
    assert not is_open(HANDOVER_09, utc(2026, 11, 21, 9, 0))
    assert not is_open(HANDOVER_09, utc(2026, 11, 23, 8, 59))  # Mon 08:59: no Sunday shift
    assert next_opening(HANDOVER_09, utc(2026, 11, 22, 12, 0)) == utc(2026, 11, 23, 9, 0)
    assert is_open(HANDOVER_09, utc(2026, 11, 24, 8, 59))  # Tue 08:59, Monday's shift


def test_the_previous_evenings_shift_is_found_after_the_clocks_go_back() -> None:
    # A 24-hour weekend cover from Saturday 23:45: Sat 24 Oct 23:45 BST (22:45 UTC) to
    # Sun 25 Oct 23:45 GMT (23:45 UTC), 25 hours. At Sun 23:30 UTC it is still running. That
    # instant less 24 hours is Sun 00:30 BST, the same local date: a search starting there
    # missed Saturday's shift.
    hours = BusinessHours(
        timezone="Europe/London", days=("sat",), start=time(23, 45), end=time(23, 45)
    )
    assert is_open(hours, utc(2026, 10, 25, 23, 30))
    assert next_opening(hours, utc(2026, 10, 25, 23, 30)) == utc(2026, 10, 25, 23, 30)
    assert not is_open(hours, utc(2026, 10, 25, 23, 45))
    # 15 minutes left of it, then 15 from Sat 31 Oct 23:45 GMT (23:45 UTC)
    assert add_business_time(hours, utc(2026, 10, 25, 23, 30), timedelta(minutes=30)) == utc(
        2026, 11, 1, 0, 0
    )
    assert business_elapsed(hours, utc(2026, 10, 25, 23, 30), utc(2026, 10, 26)) == timedelta(
        minutes=15
    )
