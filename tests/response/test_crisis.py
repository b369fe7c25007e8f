"""Negative-volume spikes: the pure decisions with hand-computed figures, then the check on
SQLite and PostgreSQL through the pipeline, the outbox and a recording sink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alerts.console import ConsoleSink
from classifiers.base import Classifier
from monitor.app import App
from monitor.crisis import Baselines, Spike, baseline_end, check_crisis, find_spike, should_tell
from monitor.models import Outbox
from monitor.settings import CrisisSettings, Settings
from monitor.settings_types import format_duration
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier
from tests.response.response_support import RecordingSink, TaggedClassifier, make_settings
from tests.test_daemon_review import SETTINGS, run_until_sigterm
from tests.test_daemon_review import signals as signals  # the fixture, used here

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MINUTE, SECOND = timedelta(minutes=1), timedelta(seconds=1)
RULES = CrisisSettings()  # 30m window, 7d baseline, factor 3, 5 people
WEEK = timedelta(days=7)


# ------------------------------------------------------------------------ the pure decisions

# A week is 336 half-hour windows: 336 negative posts in it are a usual 1.0 per window.
SPIKES = [
    # (negative, people, before, history watched, usual if a spike ("none": unknown) else None)
    (12, 6, 336, WEEK, 1.0),  # 12 >= 3 x 1.0
    (14, 6, 1680, WEEK, None),  # usual 5.0: 14 < 15
    (15, 6, 1680, WEEK, 5.0),  # exactly 3 x 5.0
    (40, 4, 0, WEEK, None),  # four people are not a crisis, however loud
    (6, 5, 96, timedelta(days=1), 2.0),  # a day of history: 48 windows, usual 2.0
    (5, 5, 96, timedelta(days=1), None),  # 5 < 6
    (5, 5, 0, timedelta(minutes=10), "none"),  # no window of history yet: the people decide
    (5, 5, 2, timedelta(minutes=10), "none"),  # (not 2 posts in 10 minutes scaled up to 6)
    (5, 5, 0, WEEK, 0.0),  # a week without a negative post: the usual is 0
    (9, 5, 336, timedelta(days=30), 1.0),  # history past the baseline counts as the baseline
]


@pytest.mark.parametrize(("negative", "people", "before", "history", "usual"), SPIKES)
def test_a_spike_is_factor_times_the_usual_from_enough_people(
    negative: int, people: int, before: int, history: timedelta, usual: float | str | None
) -> None:
    spike = find_spike(
        "nova", negative=negative, people=people, before=before, history=history, rules=RULES
    )
    if usual is None:
        assert spike is None
    elif usual == "none":  # a spike, with no usual to compare with yet
        assert spike == Spike("nova", negative, people, None)
    else:
        assert spike == Spike("nova", negative, people, pytest.approx(usual))


def test_a_spike_is_told_again_after_the_reminder_or_when_it_doubles() -> None:
    spike = Spike("nova", negative=10, people=6, usual=1.0)
    hour = timedelta(hours=1)
    rules = CrisisSettings(remind_every=2 * hour)  # window 30m
    told = partial(should_tell, spike, calm_since=None, rules=rules, now=MONDAY_10)
    assert told(None)
    assert not told((MONDAY_10 - hour, 6))
    assert told((MONDAY_10 - hour, 5))
    assert told((MONDAY_10 - 2 * hour, 9))


def test_a_spike_that_ended_and_began_again_is_told_at_once() -> None:
    spike = Spike("nova", negative=10, people=6, usual=1.0)
    notice = (MONDAY_10 - timedelta(hours=1), 6)  # an hour ago: the reminder is not due
    told = partial(should_tell, spike, notice, rules=RULES, now=MONDAY_10)
    # checks found it calm from 31 minutes ago on, after the notice: a whole 30m window
    assert told(calm_since=MONDAY_10 - 31 * MINUTE)
    assert told(calm_since=MONDAY_10 - 30 * MINUTE)
    # calm for a minute, or 29: the same spike, flickering around the threshold
    assert not told(calm_since=MONDAY_10 - MINUTE)
    assert not told(calm_since=MONDAY_10 - 29 * MINUTE)
    # calm before the notice: that calm ended when the spike told began
    assert not told(calm_since=MONDAY_10 - 2 * timedelta(hours=1))
    # no check found it calm (the last ran long ago; another daemon told it): the same spike
    assert not told(calm_since=None)


@pytest.mark.parametrize(
    ("window", "written"),
    [
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=2), "2h"),
        (WEEK, "7d"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=90), "90m"),
    ],
)
def test_a_window_is_named_as_written(window: timedelta, written: str) -> None:
    assert format_duration(window) == written  # a 45 s window was "0d"


@pytest.mark.parametrize(
    ("start", "window", "end"),
    [
        (MONDAY_10, timedelta(minutes=30), MONDAY_10),  # on a boundary: no gap
        (MONDAY_10 + timedelta(minutes=14, seconds=59), timedelta(minutes=30), MONDAY_10),
        (MONDAY_10 + timedelta(minutes=15), timedelta(minutes=30), MONDAY_10 + 15 * MINUTE),
        (MONDAY_10 + timedelta(minutes=14), timedelta(minutes=10), MONDAY_10 + 10 * MINUTE),
        (MONDAY_10 + timedelta(seconds=50), timedelta(seconds=45), MONDAY_10 + 45 * SECOND),
    ],
)
def test_the_baseline_ends_on_a_step_from_the_epoch(
    start: datetime, window: timedelta, end: datetime
) -> None:
    assert baseline_end(start, window=window) == end
    # counted from the epoch, not on a local clock: at 10:14 UTC Kathmandu (UTC+5:45) reads
    # 15:59, whose ten minutes would end at 10:05 UTC
    kathmandu = start.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert baseline_end(kathmandu, window=window) == end


# ------------------------------------------------------------------------ the check, for real


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10 - timedelta(days=1))


def build(
    database_url: str,
    clock: FakeClock,
    apps: list[App],
    classifier: Classifier | None = None,
    **settings: Any,
) -> tuple[App, MemorySource, RecordingSink]:
    source = MemorySource("mem", platform="x")
    sink = RecordingSink()
    app = App.build(
        make_settings(database_url=database_url, **settings),
        clock=clock,
        sink=sink,
        sources=[source],
        classifier=classifier or TaggedClassifier(),
    )
    apps.append(app)
    return app, source, sink


_IDS = iter(range(1, 1_000_000))


def post(at: datetime, text: str, handle: str, followers: int = 100) -> SourcePost:
    native_id = str(next(_IDS))
    return SourcePost(
        platform="x",
        native_id=native_id,
        text=text,
        author=Author(native_id=f"id-{handle}", handle=handle, followers=followers),
        created_at=at,
        url=f"https://x.com/{handle}/status/{native_id}",
    )


def yesterday(app: App, source: MemorySource, clock: FakeClock, negatives: int) -> None:
    """A day of history: ``negatives`` complaints about NovaBrew spread over it, a post a
    day ago, so the usual is computed over 23.5 hours (47 windows)."""
    start = clock.now
    source.add(post(start, "NovaBrew is lovely", "fan"))
    for i in range(negatives):
        source.add(post(start + timedelta(hours=1 + i), f"NovaBrew broken {i}", f"old{i}"))
    app.poll(source)
    clock.now = MONDAY_10


def test_a_spike_is_told_once_to_the_pr_channel_and_again_when_it_doubles(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=4)  # usual 4 / 47 = 0.09 a window
    for i in range(5):  # five people in the last half hour, one with a big following
        at = MONDAY_10 - timedelta(minutes=25 - i)
        source.add(post(at, f"NovaBrew broken again {i}", f"angry{i}", followers=10 + 1000 * i))
    for i in range(4):  # one person four times about the Pod: loud, not a crisis
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"Pod X2 broken {i}", "loud"))
    source.add(post(MONDAY_10, "NovaBrew is great", "happy"))  # not negative
    app.poll(source)

    assert app.check_crisis() == ["crisis:novabrew:1"]
    clock.advance(timedelta(minutes=1))
    assert app.check_crisis() == []  # the same spike: told once
    app.deliver()
    (notice,) = [m for m in sink.messages if m.title.startswith("Negative spike")]
    assert notice.channel == "#pr"
    assert notice.title == "Negative spike about NovaBrew: 5 posts in 30m"
    assert notice.fields["People"] == "5"
    assert notice.fields["Usual for 30m"] == "0.1"
    assert notice.fields["Platforms"] == "x 5"
    first = notice.text.splitlines()[0]  # the biggest voice first, with a link
    assert first.startswith("@angry4 (4010 followers, x) https://x.com/angry4/status/")

    # five more people: the spike doubled, so it is told again before the reminder is due
    for i in range(5, 10):
        source.add(post(clock.now, f"NovaBrew broken too {i}", f"angry{i}"))
    app.poll(source)
    clock.advance(timedelta(minutes=1))
    assert app.check_crisis() == ["crisis:novabrew:2"]
    with app.sessions() as s:
        keys = s.scalars(select(Outbox.key).where(Outbox.key.startswith("crisis:"))).all()
    assert sorted(keys) == ["crisis:novabrew:1", "crisis:novabrew:2"]


def test_the_brands_own_posts_and_old_posts_fetched_late_are_not_volume(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, _ = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    for i in range(4):
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"NovaBrew broken {i}", f"p{i}"))
    # the brand's account, saying "broken" in an answer: a response, not a fifth person
    source.add(post(MONDAY_10, "Sorry the NovaBrew grinder arrived broken, DM us", "NovaBrew"))
    # a fifth person, but two hours ago: a poller catching up is not a spike now
    source.add(post(MONDAY_10 - timedelta(hours=2), "NovaBrew broken", "late"))
    app.poll(source)
    assert app.check_crisis() == []
    source.add(post(MONDAY_10, "NovaBrew broken here too", "p4"))  # the fifth person, now
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]


def test_one_person_posting_again_and_again_is_one_person(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, _ = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    for i in range(6):  # nine posts in the window, from four people
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"NovaBrew broken {i}", "repeat"))
    for i in range(3):
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"NovaBrew broken {i}", f"other{i}"))
    app.poll(source)
    assert app.check_crisis() == []
    source.add(post(MONDAY_10, "NovaBrew broken", "fifth"))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]


def test_a_spike_still_going_is_told_again_after_the_reminder(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, _ = build(database_url, clock, apps, crisis={"remind_every": "1h"})
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew broken", f"first{i}") for i in range(6)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]
    # two new people every ten minutes: 6 to 10 in the window, never double the 6 told
    for minute in range(10, 60, 10):
        clock.now = MONDAY_10 + timedelta(minutes=minute)
        source.add(*(post(clock.now, "NovaBrew broken", f"m{minute}-{i}") for i in range(2)))
        app.poll(source)
        assert app.check_crisis() == [], minute
    clock.now = MONDAY_10 + timedelta(minutes=60)
    source.add(*(post(clock.now, "NovaBrew broken", f"late{i}") for i in range(2)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:2"]  # an hour on, and still going


def test_a_spike_found_by_checks_far_apart_is_the_same_spike(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    """Checks an hour apart (a check_every longer than the window, a stalled daemon) that
    each find the spike still going have seen no calm: it is not told as new each time."""
    app, source, _ = build(database_url, clock, apps)  # 30m window, reminder 2h
    yesterday(app, source, clock, negatives=0)
    for hour in range(2):
        clock.now = MONDAY_10 + timedelta(hours=hour)
        source.add(*(post(clock.now, "NovaBrew broken", f"h{hour}-{i}") for i in range(6)))
        app.poll(source)
        assert app.check_crisis() == (["crisis:novabrew:1"] if hour == 0 else []), hour


def test_a_new_spike_after_one_that_ended_is_told_before_the_reminder(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    """A PR lead told of a spike at ten, quiet by half past, must hear of the next one at
    eleven, not at noon when the two-hour reminder would be due."""
    app, source, sink = build(database_url, clock, apps)  # 30m window, reminder 2h
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew broken", f"first{i}") for i in range(6)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]
    for minute in range(1, 60):  # checked every minute; the six posts leave the window at 10:30
        clock.now = MONDAY_10 + minute * MINUTE
        assert app.check_crisis() == [], minute
    clock.now = MONDAY_10 + timedelta(hours=1)
    source.add(*(post(clock.now, "NovaBrew broken again", f"second{i}") for i in range(6)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:2"]  # six again, not double: a new spike
    clock.advance(MINUTE)
    assert app.check_crisis() == []  # and that one is told once
    app.deliver()
    titles = [m.title for m in sink.messages if m.title.startswith("Negative spike")]
    assert titles == ["Negative spike about NovaBrew: 6 posts in 30m"] * 2


def test_posts_written_before_replywatch_began_are_not_the_usual(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    # Installed two hours ago; its first poll also brought in a post written six days ago.
    # Eight people complain every half hour, as usual for this brand: no spike. Measured
    # from the old post, the usual would be 24 posts in six days, 0.1 a window.
    clock.now = MONDAY_10 - timedelta(hours=2)
    app, source, sink = build(database_url, clock, apps)
    source.add(post(clock.now - timedelta(days=6), "NovaBrew broken, years ago", "old"))
    for half_hour in range(5):
        at = MONDAY_10 - timedelta(hours=2) + timedelta(minutes=30 * half_hour)
        clock.now = at
        source.add(*(post(at, "NovaBrew broken", f"h{half_hour}-{i}") for i in range(8)))
        app.poll(source)
    assert clock.now == MONDAY_10
    assert app.check_crisis() == []
    source.add(*(post(MONDAY_10, "NovaBrew broken", f"surge{i}") for i in range(16)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]  # 24 posts, three times the usual 8
    app.deliver(rounds=10)  # behind the 56 complaints' alerts
    (notice,) = [m for m in sink.messages if m.title.startswith("Negative spike")]
    # 24 posts written after 08:00 and up to 09:30, in the 1.5 hours watched before the window
    assert notice.fields["Usual for 30m"] == "8.0"


def test_what_is_usual_for_a_busy_entity_is_no_spike(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    # 16 complaints in the day before: usual 16 / 47 = 0.34, so 6 in the window is a spike
    # at factor 3 (1.02) but not at factor 20 (6.8)
    strict, source, _ = build(database_url, clock, apps, crisis={"factor": 20})
    yesterday(strict, source, clock, negatives=16)
    for i in range(6):
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"NovaBrew broken {i}", f"n{i}"))
    strict.poll(source)
    assert strict.check_crisis() == []
    default, _, _ = build(database_url, clock, apps)
    assert default.check_crisis() == ["crisis:novabrew:1"]


def test_without_a_pr_channel_the_entitys_team_hears_and_off_means_off(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps, alerts={})
    off, _, _ = build(database_url, clock, apps, alerts={}, crisis={"enabled": False})
    yesterday(app, source, clock, negatives=0)
    for i in range(5):
        source.add(post(MONDAY_10 - timedelta(minutes=i), f"Pod X2 broken {i}", f"d{i}"))
    app.poll(source)
    assert off.check_crisis() == []
    assert app.check_crisis() == ["crisis:pod:1"]
    app.deliver()
    (notice,) = [m for m in sink.messages if m.title.startswith("Negative spike")]
    assert notice.channel == "#devices"


def told_at(app: App, minutes: int, baselines: Baselines | None) -> dict[str, Any]:
    """What a check ``minutes`` after 10:00 that finds a spike tells (count, people, usual to
    two places), rolled back so the next check tells it again."""
    with app.sessions() as s:
        at = MONDAY_10 + minutes * MINUTE
        (key,) = check_crisis(s, app.settings, now=at, baselines=baselines)
        payload = s.scalars(select(Outbox.payload).where(Outbox.key == key)).one()
        s.rollback()
    told: dict[str, Any] = payload["extra"]["crisis"]
    return told


def usual_at(app: App, minutes: int, baselines: Baselines | None) -> float | None:
    usual: float | None = told_at(app, minutes, baselines)["usual"]
    return usual


def spike_near_ten(app: App, source: MemorySource) -> None:
    """Six people at 09:50-09:55: in the window of every check from 10:00 to 10:19."""
    source.add(*(post(MONDAY_10 - (10 - i) * MINUTE, "NovaBrew broken", f"w{i}") for i in range(6)))
    app.poll(source)


def test_a_kept_baseline_is_counted_again_only_when_the_step_moves(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, _ = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=4)  # watched since Sunday 10:00
    spike_near_ten(app, source)
    kept = Baselines()
    # 10:00: the window starts at 09:30, a boundary; 23.5 hours watched before it
    assert usual_at(app, 0, kept) == round(4 / 47, 2)
    # a poller catching up brings in 44 complaints written at 09:00, inside the baseline
    source.add(*(post(MONDAY_10 - 60 * MINUTE, "NovaBrew broken", f"c{i}") for i in range(44)))
    app.poll(source)
    # 10:14: the window starts at 09:44, the baseline still ends at 09:30: the kept count
    assert usual_at(app, 14, kept) == round(4 / 47, 2)
    # (counted afresh the 48 are there, over the 23.5 hours up to 09:30, not to 09:44)
    assert usual_at(app, 14, None) == round(48 / 47, 2)
    # 10:15: the baseline ends at 09:45, 23.75 hours watched: counted again
    assert usual_at(app, 15, kept) == round(48 / 47.5, 2)


def test_a_kept_baseline_is_kept_by_its_bounds_not_by_its_age(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    # counted at 10:07 (baseline to 09:30), the next step's check at 10:16 (baseline to 09:45)
    # counts again, nine minutes on: every host's daemon counts the same bounds
    app, source, _ = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=4)
    spike_near_ten(app, source)
    kept = Baselines()
    assert usual_at(app, 7, kept) == round(4 / 47, 2)
    source.add(*(post(MONDAY_10 - 20 * MINUTE, "NovaBrew broken", f"c{i}") for i in range(44)))
    app.poll(source)  # complaints written at 09:40: after 09:30, up to 09:45
    assert usual_at(app, 16, kept) == round(48 / 47.5, 2)
    # a clock stepped back to 10:14: the count for its own bounds, not the last one
    assert usual_at(app, 14, kept) == round(4 / 47, 2)


def test_between_the_baselines_end_and_the_window_is_neither(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, _ = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    spike_near_ten(app, source)
    source.add(post(MONDAY_10 - 18 * MINUTE, "NovaBrew broken", "gap"))  # 09:42
    app.poll(source)
    # 10:14: the window starts at 09:44, the baseline ends at 09:30; 09:42 is in neither
    told = told_at(app, 14, None)
    assert (told["negative"], told["usual"]) == (6, 0.0)
    # 10:00: the baseline ends at 09:30 and the window starts there: 09:42 is in the window
    assert told_at(app, 0, None)["negative"] == 7


def test_the_usual_waits_for_a_window_of_watching_before_the_baselines_end(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    # installed at 09:05; at 10:14 the window starts at 09:44, 39 minutes watched, but the
    # baseline ends at 09:30: 25 minutes, less than a window, so no usual yet
    clock.now = MONDAY_10 - 55 * MINUTE
    app, source, _ = build(database_url, clock, apps)
    source.add(post(clock.now, "NovaBrew is lovely", "fan"))
    app.poll(source)
    clock.now = MONDAY_10
    spike_near_ten(app, source)
    assert usual_at(app, 14, None) is None
    assert usual_at(app, 15, None) == 0.0  # to 09:45: 40 minutes watched


def test_the_daemon_checks_for_spikes(sqlite_url: str, signals: None) -> None:
    settings = Settings.model_validate(
        {**SETTINGS, "database_url": sqlite_url, "crisis": {"check_every": "1s"}}
    )
    source = MemorySource("mem", platform="x")
    just_now = datetime.now(UTC) - timedelta(minutes=1)
    source.add(*(post(just_now, f"NovaBrew broken {i}", f"p{i}") for i in range(5)))
    app = App.build(settings, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier())
    try:
        code, _ = run_until_sigterm(app, after_s=2.5)
        with app.sessions() as s:
            keys = s.scalars(select(Outbox.key).where(Outbox.key.startswith("crisis:"))).all()
    finally:
        app.close()
    assert code == 0
    assert len(keys) == 1 and keys[0].startswith("crisis:novabrew:")
