"""Review findings on quiet accounts and reports, each worked out by hand.

Expected instants come from the calendar (16 Nov 2026 is a Monday; London is on GMT = UTC),
never from the code under test.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.app import App
from monitor.quiet import QuietFinding, quiet_finding
from monitor.reports import ALL, compute
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import BASE, RecordingSink, TaggedClassifier, make_settings


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------------------------- quiet


def test_a_reply_starts_a_new_period_not_an_immediate_quiet_notice() -> None:
    # A critical complaint opened at 10:00 fell due at 10:15; the account had said nothing
    # since 09:00, so at 10:16 it is quiet (period from 10:00, the complaint's arrival).
    waiting = [(1, t(23, 10, 0), t(23, 10, 15))]

    def finding(last_reply_at: datetime, now: datetime) -> QuietFinding | None:
        return quiet_finding(
            platform="x",
            handle="novabrew",
            team="support",
            last_reply_at=last_reply_at,
            waiting=waiting,
            no_reply_for=timedelta(hours=2),
            now=now,
        )

    first = finding(t(23, 9, 0), t(23, 10, 16))
    assert first is not None and first.period_start == t(23, 10, 0)
    # The account then answers other customers at 11:00 and 11:10. One minute after each
    # reply it is not quiet: it has just spoken, and complaint 1's breach went to the lead
    # already. Before the fix each reply opened a new period that was flagged at once (a
    # new "Quiet account" message per reply, all through a busy hour).
    assert finding(t(23, 11, 0), t(23, 11, 1)) is None
    assert finding(t(23, 11, 10), t(23, 11, 11)) is None
    # Silent again for no_reply_for (2h from the 11:10 reply): quiet, one period from 11:10
    again = finding(t(23, 11, 10), t(23, 13, 10))
    assert again is not None and again.period_start == t(23, 11, 10)
    assert again.reasons == ("no reply for 2h 00m while complaints wait",)


def test_a_complaint_falling_due_after_the_last_reply_still_flags_the_account() -> None:
    # Complaint 2 opened 11:05, due 11:20 (critical); the account's last reply was 11:00 and
    # it said nothing through 11:20: quiet at 11:20, the period starting at that reply. Both
    # complaints are past their standard by then, and the notice counts both.
    found = quiet_finding(
        platform="x",
        handle="novabrew",
        team="support",
        last_reply_at=t(23, 11, 0),
        waiting=[(1, t(23, 10, 0), t(23, 10, 15)), (2, t(23, 11, 5), t(23, 11, 20))],
        no_reply_for=timedelta(hours=2),
        now=t(23, 11, 20),
    )
    assert found is not None
    assert found.period_start == t(23, 11, 0) and found.oldest_case_id == 1
    assert found.reasons == ("2 complaint(s) waiting past the first-response standard",)


def _app(
    config: dict[str, Any], url: str, clock: FakeClock, apps: list[App], **settings: Any
) -> tuple[App, MemorySource]:
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(config, database_url=url, **settings),
        clock=clock,
        sink=RecordingSink(),
        sources=[source],
        classifier=TaggedClassifier(),
    )
    apps.append(app)
    return app, source


def _complaint(native_id: str, text: str, clock: FakeClock) -> SourcePost:
    author = Author(native_id=f"a{native_id}", handle=f"a{native_id}")
    return SourcePost(
        platform="x", native_id=native_id, text=text, author=author, created_at=clock.now
    )


def test_quiet_check_survives_a_team_removed_from_the_config(
    sqlite_url: str, apps: list[App]
) -> None:
    # The X account belongs to no team, so every team's waiting X complaints count for it.
    before = deepcopy(BASE)
    before["brand_accounts"] = {"x": [{"handle": "NovaBrew"}]}
    clock = FakeClock(t(23, 10, 0))  # Monday 10:00 London
    app, source = _app(before, sqlite_url, clock, apps)
    source.add(_complaint("0", "Pod X2 broken", clock), _complaint("1", "NovaBrew broken", clock))
    app.poll(source)  # Pod X2 goes to devices (its team), NovaBrew to support

    # Later the devices team is renamed "hardware" in the config; its open case keeps "devices"
    after = deepcopy(before)
    after["teams"]["hardware"] = after["teams"].pop("devices")
    after["entities"][1]["team"] = "hardware"
    after["routing"][3]["team"] = "hardware"
    clock.advance(timedelta(hours=2, minutes=1))
    renamed, _ = _app(after, sqlite_url, clock, apps, quiet={"no_reply_for": "2h"})
    # The support complaint has waited 2h01m with no reply: quiet, counted from 10:00.
    # Before the fix the devices case raised KeyError: no quiet notice for any account.
    assert renamed.check_quiet() == ["quiet:x:novabrew:20261123T100000Z"]


def test_an_account_removed_from_the_config_is_never_called_quiet(
    sqlite_url: str, apps: list[App]
) -> None:
    before = deepcopy(BASE)
    before["brand_accounts"] = {"x": [{"handle": "NovaBrew"}, {"handle": "NovaOldHelp"}]}
    clock = FakeClock(t(23, 10, 0))  # Monday 10:00 London
    app, source = _app(before, sqlite_url, clock, apps)
    source.add(_complaint("1", "NovaBrew broken", clock))
    app.poll(source)

    # The old help account is retired: gone from the config, still a row in the database
    after = deepcopy(before)
    after["brand_accounts"] = {"x": [{"handle": "NovaBrew"}]}
    clock.advance(timedelta(hours=2, minutes=1))
    retired, _ = _app(after, sqlite_url, clock, apps, quiet={"no_reply_for": "2h"})
    # only the account the team still runs is quiet (2h01m since the complaint at 10:00)
    assert retired.check_quiet() == ["quiet:x:novabrew:20261123T100000Z"]


# -------------------------------------------------------------------------------- reports


def test_a_team_with_only_quiet_periods_in_the_window_still_gets_its_row() -> None:
    # No case opened and no mention in the window, but the support account was flagged quiet
    # twice in it (over complaints opened earlier): the team's row must show those periods.
    rows = compute(
        [], make_settings(), now=t(23, 12), volume_by_team={}, quiet_by_team={"support": 2}
    )
    assert [(r.team, r.owner) for r in rows] == [("support", ALL)]
    figures = rows[0].figures
    assert (figures.volume, figures.complaints, figures.quiet, figures.breaches) == (0, 0, 2, 0)
    assert figures.met_pct["acknowledge"] is None
