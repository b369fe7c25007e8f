"""Escalation messages: the clocks of one case that fall due at one check are one message per
channel, every clock's key still taken, and the #pr copy of a critical breach pings the PR
lead. The pure decision first, then the check through the outbox, the senders and a recording
sink, on SQLite and PostgreSQL."""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from alerts.base import Alert
from monitor.app import App
from monitor.clocks import ClockName, ClockState
from monitor.escalation import Escalation, channel_lead, escalations_for
from monitor.models import CaseEvent, Outbox
from monitor.settings import Member, Standard
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import BASE, RecordingSink, make_settings
from tests.response.test_response_loop import build, case_of, pings, post
from tests.response.test_response_loop import clock as clock  # the fixtures, used here
from tests.response.test_response_loop import world as world

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PAM = {"name": "pam", "slack_id": "U0PAM0001"}
BOTH = ("acknowledge", "first_response")

# ------------------------------------------------------------------------ the pure decision


def running(name: str, due_in: timedelta) -> ClockState:
    """A clock started at 10:00 and still running, due ``due_in`` later."""
    due = MONDAY_10 + due_in
    return ClockState(ClockName(name), MONDAY_10, due, None, None, Standard(within=due_in))


def teams_with_pr_lead() -> dict[str, Any]:
    teams = deepcopy(BASE["teams"])
    teams["pr"]["lead"] = PAM
    return teams


def decide(
    minutes: int,
    *,
    taken: frozenset[str] = frozenset(),
    pr_lead: Member | None = None,
    team: str = "support",
) -> list[Escalation]:
    """Critical RW-7, opened at 10:00 and owned by alice, its acknowledgement and first
    response both due at 10:15 and its resolution at 12:00, seen ``minutes`` later."""
    settings = make_settings(teams=teams_with_pr_lead())
    return escalations_for(
        case_id=7,
        severity="critical",
        owner="alice",
        clocks={
            "acknowledge": running("acknowledge", timedelta(minutes=15)),
            "first_response": running("first_response", timedelta(minutes=15)),
            "resolve": running("resolve", timedelta(hours=2)),
        },
        team=settings.teams[team],
        warn_before=timedelta(minutes=5),
        pr_channel="#pr",
        pr_lead=pr_lead,
        taken=taken,
        now=MONDAY_10 + timedelta(minutes=minutes),
    )


def test_clocks_breaching_at_one_check_are_one_message_per_channel_taking_every_key() -> None:
    team, pr = decide(15, pr_lead=Member(**PAM))
    assert (team.target, team.kind, team.clocks) == ("#support", "breach", BOTH)
    assert team.keys == ("breach:7:acknowledge", "breach:7:first_response")
    assert (
        team.title
        == "BREACH: RW-7 acknowledgement and first response overdue (was due Mon 10:15 GMT)"
    )
    assert team.text == (
        "lena: RW-7 (critical) missed its acknowledgement and first response standards. "
        "Owner: alice."
    )
    assert team.mentions == ("U0LENA001",)
    # the #pr copy: the same clocks, addressed to the PR lead and pinging them
    assert pr.target == "#pr" and pr.clocks == BOTH
    assert pr.keys == ("breach:7:acknowledge:pr", "breach:7:first_response:pr")
    assert pr.text.startswith("pam: RW-7 (critical) missed its acknowledgement and first")
    assert pr.mentions == ("U0PAM0001",)


def test_the_pr_copy_falls_back_to_the_case_teams_lead() -> None:
    _, pr = decide(15, pr_lead=None)
    assert pr.mentions == ("U0LENA001",) and pr.text.startswith("lena: RW-7")


def test_warnings_falling_due_at_one_check_stay_one_per_clock() -> None:
    """A warning says what to do next; merged, it would still ask for a clock stopped since
    it was written (see the next tests), so each clock keeps its own."""
    ack, first = decide(10)
    assert (ack.keys, first.keys) == (("warn:7:acknowledge",), ("warn:7:first_response",))
    assert ack.title == "Due soon: RW-7 acknowledgement due Mon 10:15 GMT"
    assert first.text == "alice: RW-7 (critical) needs its first response by Mon 10:15 GMT."
    assert ack.mentions == first.mentions == ("U0ALICE01",)  # its owner; no #pr copy


def test_a_clock_already_told_is_left_out_of_the_message() -> None:
    taken = frozenset({"breach:7:acknowledge", "breach:7:acknowledge:pr"})
    team, pr = decide(15, taken=taken)
    assert team.keys == ("breach:7:first_response",) and pr.clocks == ("first_response",)
    assert "missed its first response standard." in team.text
    assert team.title == "BREACH: RW-7 first response overdue (was due Mon 10:15 GMT)"
    # a clock breaching later than the others is told on its own, with its own due time
    [late, late_pr] = decide(120, taken=taken | {*team.keys, *pr.keys})
    assert late.keys == ("breach:7:resolve",) and late_pr.keys == ("breach:7:resolve:pr",)
    assert late.title == "BREACH: RW-7 resolution overdue (was due Mon 12:00 GMT)"


def test_a_team_whose_channel_is_the_pr_channel_gets_one_message() -> None:
    """The PR team's own critical case: one message in #pr, its lead addressed once."""
    [one] = decide(15, team="pr", pr_lead=Member(**PAM))
    assert one.target == "#pr" and one.clocks == BOTH
    assert one.keys == (
        "breach:7:acknowledge",
        "breach:7:acknowledge:pr",
        "breach:7:first_response",
        "breach:7:first_response:pr",
    )
    assert one.text.startswith("pam: RW-7 (critical) missed its acknowledgement and first")
    assert one.mentions == ("U0PAM0001",)


def test_clocks_due_at_different_times_name_each_time() -> None:
    settings = make_settings()
    [message] = escalations_for(
        case_id=7,
        severity="normal",
        owner="alice",
        clocks={
            "acknowledge": running("acknowledge", timedelta(minutes=15)),
            "first_response": running("first_response", timedelta(minutes=20)),
        },
        team=settings.teams["support"],
        warn_before=timedelta(minutes=5),
        pr_channel="#pr",
        now=MONDAY_10 + timedelta(hours=1),
    )
    assert message.title == (
        "BREACH: RW-7 acknowledgement and first response overdue "
        "(was due Mon 10:15 GMT and Mon 10:20 GMT)"
    )


def test_the_channel_lead_is_the_one_crisis_notices_ping() -> None:
    assert channel_lead(make_settings(), "#support") == Member(name="lena", slack_id="U0LENA001")
    assert channel_lead(make_settings(), "#pr") is None  # the PR team has no lead
    assert channel_lead(make_settings(teams=teams_with_pr_lead()), "#pr") == Member(**PAM)
    assert channel_lead(make_settings(), "#nobody") is None


# ------------------------------------------------------------------------ the check, for real


def escalations(sink: RecordingSink, channel: str) -> list[Alert]:
    return [m for m in sink.top_level(channel) if m.kind == "escalation"]


def critical_on_reddit(world: dict[str, Any], **settings: Any) -> tuple[App, RecordingSink, int]:
    """A critical complaint on Reddit: the support team's (only X's go to PR), with a copy
    of its breaches in #pr."""
    app, _, sink, _ = build(world, **settings)
    reddit = MemorySource("reddit", platform="reddit")
    p = post(world["clock"], "NovaBrew burned my hand, broken [critical]", platform="reddit")
    reddit.add(p)
    app.poll(reddit)
    app.deliver()
    case = case_of(app, p.native_id)
    assert (case.team, case.severity, case.owner) == ("support", "critical", "alice")
    return app, sink, case.id


def test_a_critical_case_nobody_touched_tells_each_channel_once(world: dict[str, Any]) -> None:
    app, sink, c = critical_on_reddit(world, teams=teams_with_pr_lead())
    clock: FakeClock = world["clock"]

    clock.advance(timedelta(minutes=10))  # both standards are 15 minutes: both warn now
    report = app.check_clocks()
    assert report.keys == [f"warn:{c}:acknowledge", f"warn:{c}:first_response"]
    assert report.warned == 2
    app.deliver()
    assert [w.title for w in escalations(sink, "#support")] == [
        f"Due soon: RW-{c} acknowledgement due Mon 10:15 GMT",
        f"Due soon: RW-{c} first response due Mon 10:15 GMT",
    ]

    clock.advance(timedelta(minutes=5))
    report = app.check_clocks()
    assert report.keys == [
        f"breach:{c}:acknowledge",
        f"breach:{c}:first_response",
        f"breach:{c}:acknowledge:pr",
        f"breach:{c}:first_response:pr",
    ]
    assert report.breached == 2  # two clocks, each once
    app.deliver()
    [_, _, team] = escalations(sink, "#support")
    [pr] = escalations(sink, "#pr")
    for told in (team, pr):
        assert "missed its acknowledgement and first response standards" in told.text
        assert told.fields["Clock"] == "acknowledge, first_response"
    assert team.extra["mentions"] == ["U0LENA001"] and team.text.startswith("lena: ")
    # the PR lead reads #pr: they are the one pinged, not the support lead
    assert pr.extra["mentions"] == ["U0PAM0001"] and pr.text.startswith("pam: ")

    with app.sessions() as s:
        rows = {r.key: r for r in s.scalars(select(Outbox).where(Outbox.key.like("breach:%")))}
        events = s.scalars(select(CaseEvent.detail).where(CaseEvent.kind == "breached")).all()
        thread = [m.title for m in sink.messages if m.thread_ts is not None]
    assert set(rows) == set(report.keys)  # every clock's key is taken
    assert rows[f"breach:{c}:first_response"].result == {"told_in": f"breach:{c}:acknowledge"}
    assert rows[f"breach:{c}:first_response:pr"].result == {"told_in": f"breach:{c}:acknowledge:pr"}
    assert pings(rows[f"breach:{c}:acknowledge:pr"]) == "<@U0PAM0001>"
    assert sorted(e["clock"] for e in events if e) == sorted(BOTH)  # the case's history: each
    assert thread.count("Acknowledgement and first response overdue") == 1

    # none of them is told again, however often the check runs
    clock.advance(timedelta(minutes=1))
    assert app.check_clocks().keys == []
    app.deliver()
    assert len(escalations(sink, "#support")) == 3 and len(escalations(sink, "#pr")) == 1


@pytest.mark.parametrize(
    ("teams", "pinged"),
    [(teams_with_pr_lead(), "U0PAM0001"), (BASE["teams"], "U0LENA001")],
    ids=["pr-lead", "no-pr-lead"],
)
def test_a_lone_breach_in_pr_pings_the_pr_lead_else_the_teams(
    world: dict[str, Any], teams: dict[str, Any], pinged: str
) -> None:
    """Acknowledged in time, the case misses only its first response: the PR lead hears of it
    in #pr; where no team with a lead owns #pr, the case team's lead does."""
    app, sink, c = critical_on_reddit(world, teams=teams)
    clock: FakeClock = world["clock"]
    clock.advance(timedelta(minutes=1))
    assert "own" in app.actions().on_action("claim", c, "U0BOB0001", "Bob")
    clock.advance(timedelta(minutes=14))
    assert app.check_clocks().keys == [
        f"breach:{c}:first_response",
        f"breach:{c}:first_response:pr",
    ]
    app.deliver()
    [pr] = escalations(sink, "#pr")
    assert pr.extra["mentions"] == [pinged] and "its first response standard." in pr.text
    [team] = escalations(sink, "#support")
    assert team.extra["mentions"] == ["U0LENA001"]


def test_a_pr_team_case_gets_one_message_in_pr(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world, teams=teams_with_pr_lead())
    clock: FakeClock = world["clock"]
    p = post(clock, "NovaBrew burned my hand, broken [critical]")
    source.add(p)
    app.poll(source)
    app.deliver()
    c = case_of(app, p.native_id).id
    assert case_of(app, p.native_id).team == "pr"
    clock.advance(timedelta(minutes=15))
    assert len(app.check_clocks().keys) == 4  # each clock's key, and its #pr copy's
    app.deliver()
    [told] = escalations(sink, "#pr")
    assert told.title.startswith(f"BREACH: RW-{c} acknowledgement and first response overdue")
    assert told.extra["mentions"] == ["U0PAM0001"]


def test_a_merged_breach_skipped_while_closed_goes_out_once_on_reopen(
    world: dict[str, Any],
) -> None:
    """Written, then the case resolved by mistake before it went out: skipped. Reopened, its
    clocks are still overdue: one message per channel again, naming both, and only once
    (:func:`monitor.escalation.rearm` puts back the one row that told of both)."""
    app, sink, c = critical_on_reddit(world)
    clock: FakeClock = world["clock"]
    clock.advance(timedelta(minutes=15))
    assert app.check_clocks().breached == 2
    actions = app.actions()
    assert "resolved" in actions.on_action("resolve", c, "U0BOB0001", "Bob")
    app.deliver()
    assert escalations(sink, "#support") == [] and escalations(sink, "#pr") == []

    clock.advance(timedelta(minutes=1))
    assert "reopened" in actions.on_action("reopen", c, "U0BOB0001", "Bob")
    app.deliver()
    [team] = escalations(sink, "#support")
    [pr] = escalations(sink, "#pr")
    assert "acknowledgement and first response standards" in team.text
    assert pr.extra["mentions"] == ["U0LENA001"]  # no PR lead in this config: the team's
    app.check_clocks()
    app.deliver()
    assert len(escalations(sink, "#support")) == 1 and len(escalations(sink, "#pr")) == 1


def test_a_warning_whose_clock_stopped_before_it_went_out_is_skipped(
    world: dict[str, Any],
) -> None:
    """Written but not yet sent (Slack down, a backlog): meanwhile one case was claimed (its
    acknowledgement stopped, its first response still waits: only that warning goes) and the
    other answered in public (both stopped: neither goes to send the owner after done work)."""
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    claimed, answered = (post(clock, "NovaBrew broken [critical]", handle=h) for h in "ca")
    source.add(claimed, answered)
    app.poll(source)
    app.deliver()
    ids = [case_of(app, p.native_id).id for p in (claimed, answered)]
    clock.advance(timedelta(minutes=10))
    assert len(app.check_clocks().keys) == 4
    assert "own" in app.actions().on_action("claim", ids[0], "U0BOB0001", "Bob")
    source.add(post(clock, "So sorry, DM us", handle="NovaBrew", in_reply_to=answered.native_id))
    app.poll(source)
    app.deliver()
    assert [m.title for m in escalations(sink, "#pr")] == [
        f"Due soon: RW-{ids[0]} first response due Mon 10:15 UTC"
    ]
    with app.sessions() as s:
        skipped = {
            row.key: row.result
            for row in s.scalars(select(Outbox).where(Outbox.key.like("warn:%")))
            if row.result and "skipped" in row.result
        }
    assert skipped == {
        f"warn:{ids[0]}:acknowledge": {"skipped": "its acknowledgement clock stopped"},
        f"warn:{ids[1]}:acknowledge": {"skipped": "its acknowledgement clock stopped"},
        f"warn:{ids[1]}:first_response": {"skipped": "its first response clock stopped"},
    }
