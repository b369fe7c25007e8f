"""Case buttons after a walkthrough, on the real Slack path: the Slack sink and bolt app
(slack-sdk, slack-bolt) against the Slack emulator, signed requests, SQLite and PostgreSQL.

* "Not a complaint" and "Resolve" can be undone: a closed case's message offers "Reopen",
  which puts the case back in the queue with its clocks, and a dismissal's label with it.
* "Escalate" on a closed case (an old message, a race) is refused, not promised and dropped.
* "Claim" on someone else's case names, and pings, the owner it was taken from.
* ``/replywatch <team>`` lists as overdue only the clocks still running, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.blocks import action_id
from alerts.interactive import build_app
from alerts.slack import SlackSink
from monitor.app import App
from monitor.cli_classify import _database_labels
from monitor.models import Case, CaseEvent, CaseStatus, Label, Outbox, OutboxKind, Post
from monitor.notify import clocks_for
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.emulators.slack import SlackEmulator, SlackMessage
from tests.emulators.slack_requests import (
    block_action_payload,
    dispatch_signed,
    interaction_body,
    slash_command_body,
)
from tests.fakes import FakeClock
from tests.response.response_support import BASE, ENVIRON, TaggedClassifier, make_settings

SECRET = ENVIRON["SLACK_SIGNING_SECRET"]
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work
CHANNELS = {"support": "C0SUPPORT", "pr": "C0PR", "legal": "C0LEGAL"}
PRIYA, TOMAS, MARCO = "U0PRIYA01", "U0TOMAS01", "U0MARCO01"
OPEN_BUTTONS = ["rw_claim", "rw_responded", "rw_resolve", "rw_not_complaint", "rw_escalate"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(channels=CHANNELS) as em:
        yield em


class World:
    """One replywatch on a database, its Slack sink and bolt app on the emulator."""

    def __init__(self, database_url: str, clock: FakeClock, slack: SlackEmulator) -> None:
        teams = deepcopy(BASE["teams"])
        teams["support"]["members"] = [
            {"name": "Priya Nair", "slack_id": PRIYA},
            {"name": "Tomás", "slack_id": TOMAS},
        ]
        teams["support"]["lead"] = {"name": "Marco Reyes", "slack_id": MARCO}
        self.settings = make_settings(database_url=database_url, teams=teams)
        self.clock = clock
        self.slack = slack
        self.source = MemorySource("mem", platform="x")
        sink = SlackSink(
            ENVIRON["SLACK_BOT_TOKEN"],
            base_url=slack.api_url,
            timeout_s=2.0,
            per_channel_interval_s=0.0,
        )
        self.app = App.build(
            self.settings,
            clock=clock,
            sink=sink,
            sources=[self.source],
            classifier=TaggedClassifier(),
        )
        self.bolt = build_app(
            token=ENVIRON["SLACK_BOT_TOKEN"],
            signing_secret=SECRET,
            handler=self.app.actions(),
            base_url=slack.api_url,
        )
        self._ids = iter(range(500, 10_000))
        self._tags = iter(range(1, 10_000))

    def complaint(self, handle: str) -> Case:
        """A complaint on X, polled, opened (routed to Priya first) and alerted in Slack."""
        native_id = str(next(self._ids))
        self.source.add(
            SourcePost(
                platform="x",
                native_id=native_id,
                text="My NovaBrew machine is broken again",
                author=Author(native_id=f"id-{handle}", handle=handle, followers=10),
                created_at=self.clock.now,
                url=f"https://x.com/{handle}/status/{native_id}",
            )
        )
        self.app.poll(self.source)
        self.app.deliver()
        return self.case(native_id)

    def case(self, native_id: str) -> Case:
        with self.app.sessions() as s:
            case = s.scalar(select(Case).join(Case.post).where(Post.native_id == native_id))
            assert case is not None
            return case

    def reload(self, case: Case) -> Case:
        with self.app.sessions() as s:
            fresh = s.get(Case, case.id)
            assert fresh is not None
            return fresh

    def click(self, action: str, case: Case, user_id: str, user_name: str) -> str:
        """Click a button on the case's message as Slack would; the ephemeral answer."""
        tag = f"t{next(self._tags)}"
        payload = block_action_payload(
            action_id(action),
            str(case.id),
            user_id=user_id,
            user_name=user_name,
            channel="C0SUPPORT",
            message_ts=str(case.slack_ts),
            response_url=self.slack.response_url(tag),
            block_id=f"rw_actions_{case.id}",
        )
        assert dispatch_signed(self.bolt, interaction_body(payload), SECRET).status == 200
        return self.answer(tag)

    def command(self, text: str, user_id: str = PRIYA) -> str:
        tag = f"t{next(self._tags)}"
        body = slash_command_body(text, user_id=user_id, response_url=self.slack.response_url(tag))
        assert dispatch_signed(self.bolt, body, SECRET).status == 200
        return self.answer(tag)

    def answer(self, tag: str) -> str:
        slack = self.slack
        assert slack.wait_for(lambda: bool(slack.responses.get(tag))), f"no answer to {tag}"
        [answer] = slack.responses[tag]
        assert answer["response_type"] == "ephemeral"
        return str(answer["text"])

    def message(self, case: Case) -> SlackMessage:
        [top] = [m for m in self.slack.in_channel("support") if m.ts == case.slack_ts]
        return top

    def buttons(self, case: Case) -> list[str]:
        """The case buttons its Slack message shows now (not "Open post")."""
        ids = [
            element["action_id"]
            for block in self.message(case).blocks
            if block["type"] == "actions"
            for element in block["elements"]
        ]
        return [i for i in ids if i != "rw_open_post"]

    def thread(self, case: Case) -> list[str]:
        return [m.text for m in self.slack.in_channel("support") if m.thread_ts == case.slack_ts]

    def events(self, case: Case) -> list[tuple[str, str]]:
        with self.app.sessions() as s:
            rows = s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
            return [(e.kind, e.actor) for e in rows]

    def labels(self) -> list[tuple[int | None, str, str]]:
        with self.app.sessions() as s:
            rows = s.scalars(select(Label).order_by(Label.id))
            return [(r.post_id, r.task, r.label) for r in rows]

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def world(database_url: str, clock: FakeClock, slack: SlackEmulator) -> Iterator[World]:
    built = World(database_url, clock, slack)
    yield built
    built.close()


# ------------------------------------------------------------------------------------ reopen


def test_not_a_complaint_is_undone_by_reopen_and_so_is_its_label(
    world: World, clock: FakeClock
) -> None:
    case = world.complaint("maria")
    assert world.buttons(case) == OPEN_BUTTONS

    clock.advance(timedelta(minutes=5))
    answer = world.click("not_complaint", case, TOMAS, "tomas")
    assert "closed as not a complaint" in answer and "Reopen" in answer
    world.app.deliver()
    assert world.reload(case).status == CaseStatus.DISMISSED
    assert world.buttons(case) == ["rw_reopen"]  # the mis-click is one click from undone
    assert [label for _, _, label in world.labels()] == ["not_complaint"]
    # the command that opens a case for a post says where the undo is
    link = f"<https://x.com/maria/status/{case.post.native_id}|the post>"
    assert "(dismissed): Reopen on its message" in world.command(f"case {link}")

    clock.advance(timedelta(minutes=5))
    answer = world.click("reopen", case, PRIYA, "priya")
    assert answer == (
        f"RW-{case.id} reopened; its clocks run again, and the classifier's label for the "
        "post now says complaint."
    )
    world.app.deliver()
    reopened = world.reload(case)
    assert reopened.status == CaseStatus.OPEN and reopened.resolved_at is None
    clocks = clocks_for(reopened, world.settings, now=clock.now)
    assert all(state.running for state in clocks.values())  # nobody had acted on it yet
    assert world.events(case)[-1] == ("reopened", f"priya (slack:{PRIYA})")
    assert world.buttons(case) == OPEN_BUTTONS
    assert world.thread(case) == [
        "Marked not a complaint by tomas",
        "Reopened by priya: a complaint after all",
    ]
    # one verdict per post, the newest: retraining reads "complaint", never both
    assert world.labels() == [(case.post_id, "complaint", "complaint")]
    examples, skipped = _database_labels(world.settings)
    assert skipped == 0
    assert [(e.text, e.label) for e in examples["complaint-en"]] == [
        ("My NovaBrew machine is broken again", "complaint")
    ]

    # dismissed again, the label follows again; a stray second Reopen changes nothing
    world.click("not_complaint", case, TOMAS, "tomas")
    assert world.labels() == [(case.post_id, "complaint", "not_complaint")]
    world.click("reopen", case, PRIYA, "priya")
    assert world.click("reopen", case, PRIYA, "priya") == (
        f"RW-{case.id} is not closed (open); nothing to reopen."
    )
    assert world.labels() == [(case.post_id, "complaint", "complaint")]


def test_a_breach_skipped_while_the_case_was_shut_goes_out_once_it_is_reopened(
    world: World, clock: FakeClock
) -> None:
    """Slack backed up: the breach was written, then the case resolved by mistake before it
    went out, so it was skipped as stale. Reopened, its clock is still overdue: the lead must
    hear, though the breach's key was taken."""
    case = world.complaint("lena")
    clock.advance(timedelta(days=3))
    assert world.app.check_clocks().breached >= 1  # written, not yet delivered
    world.click("resolve", case, PRIYA, "priya")
    world.app.deliver()

    def breaches() -> list[str]:
        return [m.text for m in world.slack.in_channel("support") if "BREACH" in m.text]

    assert breaches() == []  # skipped: the case was resolved
    world.click("reopen", case, PRIYA, "priya")
    world.app.deliver()
    told = breaches()
    assert told and all(f"RW-{case.id}" in text for text in told)
    world.app.check_clocks()
    world.app.deliver()
    assert breaches() == told  # told once, not again


def test_resolve_is_undone_by_reopen_with_the_clocks_that_had_stopped_kept(
    world: World, clock: FakeClock
) -> None:
    case = world.complaint("tom")
    clock.advance(timedelta(minutes=3))
    world.click("claim", case, PRIYA, "priya")
    clock.advance(timedelta(minutes=3))
    assert world.click("resolve", case, PRIYA, "priya") == f"RW-{case.id} resolved."
    world.app.deliver()
    assert world.buttons(case) == ["rw_reopen"]

    clock.advance(timedelta(hours=1))  # the customer writes again
    assert world.click("reopen", case, TOMAS, "tomas") == (
        f"RW-{case.id} reopened; its clocks run again."
    )
    world.app.deliver()
    reopened = world.reload(case)
    # claimed before it was resolved: acknowledged still, the other clocks run again
    assert reopened.status == CaseStatus.ACKNOWLEDGED and reopened.owner == "Priya Nair"
    clocks = clocks_for(reopened, world.settings, now=clock.now)
    assert {name: state.running for name, state in clocks.items()} == {
        "acknowledge": False,
        "first_response": True,
        "resolve": True,
    }
    assert world.buttons(case) == OPEN_BUTTONS
    assert world.thread(case)[-1] == "Reopened by tomas"
    assert world.labels() == []  # a resolution is no verdict on the post
    kinds = [kind for kind, _ in world.events(case)]
    assert kinds[-2:] == ["resolved", "reopened"]
    # and the team's list has it again
    assert f"RW-{case.id} " in world.command("support")


# ---------------------------------------------------------------------------------- escalate


def test_escalate_on_a_closed_case_is_refused_not_promised(world: World, clock: FakeClock) -> None:
    case = world.complaint("nina")
    world.click("resolve", case, PRIYA, "priya")
    clock.advance(timedelta(minutes=1))
    # an old copy of the message, or a click racing the resolve
    answer = world.click("escalate", case, TOMAS, "tomas")
    assert answer == f"RW-{case.id} is resolved; reopen it to escalate."
    with world.app.sessions() as s:
        kinds = s.scalars(select(Outbox.kind).where(Outbox.case_id == case.id)).all()
        assert OutboxKind.ESCALATION not in kinds
    assert "escalated" not in [kind for kind, _ in world.events(case)]

    world.click("reopen", case, TOMAS, "tomas")
    assert world.click("escalate", case, TOMAS, "tomas") == (
        f"RW-{case.id} escalated to Marco Reyes."
    )


# ------------------------------------------------------------------------------------- claim


def test_claim_names_the_owner_it_takes_the_case_from(world: World, clock: FakeClock) -> None:
    case = world.complaint("omar")
    assert case.owner == "Priya Nair"  # routed to her
    clock.advance(timedelta(minutes=2))
    assert world.click("claim", case, PRIYA, "priya") == f"You own RW-{case.id} now."

    clock.advance(timedelta(minutes=30))
    answer = world.click("claim", case, TOMAS, "tomas")
    assert answer == f"You own RW-{case.id} now, taken from Priya Nair; its thread tells them."
    assert world.reload(case).owner == "Tomás"
    with world.app.sessions() as s:
        [update] = s.scalars(
            select(Outbox)
            .where(Outbox.kind == OutboxKind.ALERT_UPDATE, Outbox.case_id == case.id)
            .order_by(Outbox.id.desc())
            .limit(1)
        ).all()
        assert update.payload["line"] == "Claimed by tomas, from Priya Nair"
        assert update.payload["mentions"] == [PRIYA]  # pinged by her Slack id
    world.app.deliver()
    assert world.thread(case)[-1].endswith("Claimed by tomas, from Priya Nair")


def test_claim_from_an_owner_without_a_slack_id_says_to_tell_them(
    world: World, clock: FakeClock
) -> None:
    case = world.complaint("lee")
    with world.app.sessions.begin() as s:  # a person since removed from the team's members
        stored = s.get(Case, case.id)
        assert stored is not None
        stored.owner = "Sam Old"
    answer = world.click("claim", case, TOMAS, "tomas")
    assert answer == (
        f"You own RW-{case.id} now, taken from Sam Old (no Slack id is configured for them: "
        "let them know)."
    )
    world.app.deliver()
    assert world.thread(case) == ["Claimed by tomas, from Sam Old"]


def test_the_owner_a_claim_took_the_case_from_is_pinged_in_its_thread(
    world: World, clock: FakeClock
) -> None:
    case = world.complaint("omar")
    clock.advance(timedelta(minutes=30))
    world.click("claim", case, TOMAS, "tomas")
    world.app.deliver()
    assert world.thread(case) == [f"<@{PRIYA}> Claimed by tomas, from Priya Nair"]


# ----------------------------------------------------------------------------- /replywatch


def test_the_team_list_shows_only_running_clocks_as_overdue_each_once(
    world: World, clock: FakeClock
) -> None:
    late = world.complaint("ana")
    waiting = world.complaint("ben")
    clock.advance(timedelta(minutes=30))  # the acknowledgement was due at 10:15
    world.click("claim", late, TOMAS, "tomas")  # claimed late: that clock stopped, missed

    listing = world.command("support").splitlines()
    assert listing[0] == "support: 2 open case(s)"
    late_line, waiting_line = listing[1:]
    # history, not an action: the late claim's clock is not listed as overdue
    assert late_line.startswith(f"RW-{late.id} normal @ana on x, acknowledged, owner Tomás: ")
    assert late_line.endswith("first response due Mon 23 Nov 14:00 GMT")
    assert "OVERDUE" not in late_line
    # still running past due: shown once, with since when
    assert waiting_line.startswith(f"RW-{waiting.id} normal @ben on x, open, owner Tomás: ")
    assert waiting_line.endswith("acknowledge OVERDUE since Mon 23 Nov 10:15 GMT")
    assert waiting_line.count("OVERDUE") == 1

    clock.now = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    late_line, waiting_line = world.command("support").splitlines()[1:]
    assert late_line.endswith("first response OVERDUE since Mon 23 Nov 14:00 GMT")
    assert waiting_line.endswith(
        "acknowledge OVERDUE since Mon 23 Nov 10:15 GMT, "
        "first response OVERDUE since Mon 23 Nov 14:00 GMT"
    )
    assert late_line.count("OVERDUE") == 1 and waiting_line.count("OVERDUE") == 2
