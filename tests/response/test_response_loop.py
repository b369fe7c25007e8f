"""The response loop on fakes, against SQLite and PostgreSQL: routing into cases, Slack
messages and their updates, buttons, acknowledgements, escalations and quiet accounts.

The sink is a recording fake (the Slack sink has its own suite); the replier is a fake
platform that can post a reply and then lose the answer, the double-reply trap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from alerts.blocks import render_alert
from monitor import db
from monitor.app import App
from monitor.cases import SYSTEM, add_event, resolve
from monitor.delivery import RESEND_SETTLE, alert_from_payload
from monitor.errors import DeliveryError, RateLimited
from monitor.models import Case, CaseEvent, CaseStatus, Label, Outbox, OutboxStatus
from monitor.outbox import LEASE
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
    slack_down,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def world(database_url: str, clock: FakeClock) -> Iterator[dict[str, Any]]:
    apps: list[App] = []
    yield {"url": database_url, "clock": clock, "apps": apps}
    for app in apps:
        app.close()


def build(
    world: dict[str, Any], *, repliers: dict[str, FakeReplier] | None = None, **settings: Any
) -> tuple[App, MemorySource, RecordingSink, FakeReplier]:
    source = MemorySource("mem", platform="x")
    sink = RecordingSink()
    replier = FakeReplier("x")
    app = App.build(
        make_settings(database_url=world["url"], **settings),
        clock=world["clock"],
        sink=sink,
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": replier, **(repliers or {})},
    )
    world["apps"].append(app)
    return app, source, sink, replier


_IDS = iter(range(100, 10_000))


def post(clock: FakeClock, text: str, *, handle: str = "customer", **kw: Any) -> SourcePost:
    native_id = str(kw.pop("native_id", next(_IDS)))
    return SourcePost(
        platform=kw.pop("platform", "x"),
        native_id=native_id,
        text=text,
        author=Author(native_id=f"id-{handle}", handle=handle, followers=1200),
        created_at=clock.now,
        url=f"https://x.com/{handle}/status/{native_id}",
        **kw,
    )


def case_of(app: App, native_id: str) -> Case:
    with app.sessions() as s:
        from monitor.models import Post

        case = s.scalar(select(Case).join(Case.post).where(Post.native_id == native_id))
        assert case is not None
        return case


def events(app: App, case_id: int) -> list[tuple[str, str]]:
    with app.sessions() as s:
        rows = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return [(e.kind, e.actor) for e in rows]


def count(app: App, model: type, *where: object) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ----------------------------------------------------------------------------- routing, alerts


def test_complaints_are_routed_assigned_and_alerted_once(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    first = post(clock, "NovaBrew machine broken", handle="maria")
    legal = post(clock, "NovaBrew broken, my lawyer will hear of this", handle="tom")
    persian = post(clock, "NovaBrew خراب [fa]", handle="ali")
    source.add(first, legal, persian)
    app.poll(source)
    assert app.deliver().sent == 3 and app.deliver().sent == 0

    c1, c2, c3 = (case_of(app, p.native_id) for p in (first, legal, persian))
    assert (c1.team, c1.owner) == ("support", "alice")
    assert (c2.team, c2.owner) == ("legal", "lou")
    # Monday 10:00 UTC is 13:30 in Tehran, a working Monday there
    assert (c3.team, c3.owner) == ("tehran", "sara")
    assert [m.channel for m in sink.top_level()] == ["#support", "#legal", "#support-fa"]
    with app.sessions() as s:
        stored = s.get(Case, c1.id)
        assert stored is not None and stored.slack_ts is not None
        assert stored.slack_ts == f"1700000000.{1:06d}"
    alert = sink.top_level("#support")[0]
    assert alert.fields["Owner"] == "alice" and alert.fields["Author"] == "@maria (1,200 followers)"
    assert alert.text == "NovaBrew machine broken"
    assert alert.extra["actions"] == ["claim", "responded", "resolve", "not_complaint", "escalate"]
    # acknowledge: 15 calendar minutes; normal first response: 4 business hours
    assert alert.extra["due"]["acknowledge"] == "due Mon 23 Nov 10:15 GMT"
    assert alert.extra["due"]["first_response"] == "due Mon 23 Nov 14:00 GMT"

    # the same person again, this time on Reddit: the message shows the earlier case
    clock.advance(timedelta(minutes=5))
    again = post(clock, "NovaBrew still broken", handle="Maria", platform="reddit")
    reddit = MemorySource("reddit", platform="reddit")
    reddit.add(again)
    app.poll(reddit)
    app.deliver()
    latest = sink.top_level("#support")[-1]
    assert latest.case_id == case_of(app, again.native_id).id
    assert len(latest.extra["history"]) == 1
    assert f"x RW-{c1.id} (open, alice): NovaBrew machine broken" in latest.extra["history"][0]
    # bob has fewer open cases than alice now
    assert case_of(app, again.native_id).owner == "bob"


def test_out_of_hours_case_goes_to_on_call_or_waits_for_opening(world: dict[str, Any]) -> None:
    clock: FakeClock = world["clock"]
    clock.now = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)  # Thursday night everywhere
    app, source, _sink, _ = build(world)
    london = post(clock, "NovaBrew broken", handle="a")
    tehran = post(clock, "NovaBrew خراب [fa]", handle="b")
    source.add(london, tehran)
    app.poll(source)
    assert case_of(app, london.native_id).owner == "carol"  # on call
    waiting = case_of(app, tehran.native_id)
    assert waiting.owner is None
    with app.sessions() as s:
        opened = s.scalars(select(CaseEvent).where(CaseEvent.case_id == waiting.id)).first()
        assert opened is not None and opened.detail is not None
        # Tehran opens Saturday 08:00 local = 04:30 UTC
        assert opened.detail["unassigned_until"] == "2026-11-21T04:30:00+00:00"
    clock.now = datetime(2026, 11, 21, 4, 29, tzinfo=UTC)
    assert app.check_clocks().assigned == 0
    clock.now = datetime(2026, 11, 21, 4, 31, tzinfo=UTC)
    assert app.check_clocks().assigned == 1
    assert case_of(app, tehran.native_id).owner == "sara"


# ----------------------------------------------------------------------------------- buttons


def test_buttons_change_state_once_and_land_in_the_audit_trail(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    p = post(clock, "NovaBrew broken", handle="maria")
    source.add(p)
    app.poll(source)
    app.deliver()
    case = case_of(app, p.native_id)
    actions = app.actions()

    clock.advance(timedelta(minutes=3))
    assert "own" in actions.on_action("claim", case.id, "U0BOB0001", "Bob")
    assert "already yours" in actions.on_action(
        "claim", case.id, "U0BOB0001", "Bob"
    )  # double click
    claimed = case_of(app, p.native_id)
    assert claimed.owner == "bob" and claimed.status == CaseStatus.ACKNOWLEDGED
    assert claimed.acknowledged_at == clock.now
    assert events(app, case.id).count(("claimed", "Bob (slack:U0BOB0001)")) == 1

    app.deliver()
    assert len(sink.updates) == 1 and sink.updates[0][0] == claimed.slack_ts
    assert sink.updates[0][1].fields["Owner"] == "bob"
    thread = [m for m in sink.messages if m.thread_ts == claimed.slack_ts]
    assert [m.title for m in thread] == ["Claimed by Bob, from alice"]  # routed to alice

    clock.advance(timedelta(minutes=5))
    actions.on_action("responded", case.id, "U0BOB0001", "Bob")
    assert "already" in actions.on_action("responded", case.id, "U0BOB0001", "Bob")
    assert case_of(app, p.native_id).first_response_at == clock.now

    assert "escalated to lena" in actions.on_action("escalate", case.id, "U0BOB0001", "Bob")
    assert "moments ago" in actions.on_action("escalate", case.id, "U0BOB0001", "Bob")
    with app.sessions() as s:
        escalations = s.scalars(select(Outbox).where(Outbox.kind == "escalation")).all()
        assert [e.target for e in escalations] == ["#support"]
        assert pings(escalations[0]) == "<@U0LENA001>"

    listing = actions.on_command("", "U0BOB0001", "bob", "C0SOMEWHERE")
    assert listing.startswith("support: 1 open case(s)") and f"RW-{case.id}" in listing

    actions.on_action("not_complaint", case.id, "U0ALICE01", "Alice")
    assert "already" in actions.on_action("not_complaint", case.id, "U0ALICE01", "Alice")
    assert count(app, Label, Label.label == "not_complaint", Label.task == "complaint") == 1
    assert case_of(app, p.native_id).status == CaseStatus.DISMISSED
    assert "already" in actions.on_action("resolve", case.id, "U0ALICE01", "Alice")
    assert actions.on_command("support", "U0BOB0001", "bob", "C0X") == "support: no open cases."

    kinds = [k for k, _ in events(app, case.id)]
    assert kinds == ["opened", "claimed", "responded", "escalated", "dismissed"]
    app.deliver()
    lines = [m.title for m in sink.messages if m.thread_ts == claimed.slack_ts]
    assert lines == [
        "Claimed by Bob, from alice",
        "Marked responded by Bob",
        "Escalated by Bob",
        "Marked not a complaint by Alice",
    ]
    assert sink.updates[-1][1].extra["actions"] == ["reopen"]  # a closed case: only Reopen


def test_a_missed_complaint_becomes_a_case_and_a_label(world: dict[str, Any]) -> None:
    """/replywatch case <link>: the classifier let a complaint through; a person opens its
    case from Slack, routed and alerted as the pipeline would, and the correction is kept."""
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    missed = post(clock, "NovaBrew, three weeks and nobody answers me", handle="maria")
    own = post(clock, "@maria NovaBrew here, sorry!", handle="NovaBrew", in_reply_to="1")
    source.add(missed, own)
    app.poll(source)
    assert count(app, Case) == 0  # the tagged classifier sees no complaint word
    actions = app.actions()
    clock.advance(timedelta(hours=2))

    reply = actions.on_command(f"case <{missed.url}|maria's post>", "U0BOB0001", "bob", "C0X")
    assert reply.startswith("RW-") and "@maria's x post: support, owner alice, normal" in reply
    case = case_of(app, missed.native_id)
    assert case.opened_at == missed.created_at  # the customer has waited since posting
    assert count(app, Label, Label.label == "complaint", Label.task == "complaint") == 1
    with app.sessions() as s:
        opened = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
        label = s.scalars(select(Label)).one()
    assert opened.kind == "opened"
    assert opened.detail["opened_by"] == label.actor == "bob (slack:U0BOB0001)"
    assert (label.text, label.post_id) == (missed.text, case.post_id)
    app.deliver()
    assert [m.channel for m in sink.top_level()] == ["#support"]

    again = actions.on_command(f"case x:{missed.native_id}", "U0BOB0001", "bob", "C0X")
    assert again == f"RW-{case.id} already covers that post (open)."
    assert "brand's own" in actions.on_command(f"case {own.url}", "U0BOB0001", "bob", "C0X")
    assert "No stored mention" in actions.on_command(
        "case https://x.com/someone/status/999999", "U0BOB0001", "bob", "C0X"
    )
    assert "Which post?" in actions.on_command("case", "U0BOB0001", "bob", "C0X")
    assert count(app, Case) == 1
    assert count(app, Label) == 1


@pytest.mark.parametrize("opened_by", ["a person", "an edit"])
def test_a_case_opened_after_the_brand_answered_opens_answered(
    world: dict[str, Any], opened_by: str
) -> None:
    # a person opens a case for a complaint the classifier missed, or the author edits a post
    # into a complaint: either way the brand's earlier answer stops its clocks
    app, source, _, replier = build(world, acknowledgements={"modes": {"x": "auto"}, "delay": "2m"})
    clock: FakeClock = world["clock"]
    first = post(clock, "NovaBrew, three weeks and nobody answers me", handle="maria")
    clock.advance(timedelta(minutes=5))
    answer = post(clock, "@maria so sorry, DM us", handle="NovaBrew", in_reply_to=first.native_id)
    source.add(first, answer)
    app.poll(source)
    clock.advance(timedelta(hours=2))
    if opened_by == "a person":
        app.actions().on_command(f"case {first.url}", "U0BOB0001", "bob", "C0X")
    else:
        edited = replace(first, text=f"{first.text}, and it came broken", version="edit-1")
        source.add(edited)
        app.poll(source)
    case = case_of(app, first.native_id)
    assert case.first_response_at == answer.created_at  # its clocks stopped at the answer
    clock.advance(timedelta(minutes=5))
    app.deliver()
    assert replier.replies == {}  # and no template goes under a post a person answered


def test_an_update_waits_for_its_first_message(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    p = post(clock, "NovaBrew broken")
    source.add(p)
    app.poll(source)
    case = case_of(app, p.native_id)
    sink.fail.append(slack_down())
    app.actions().on_action("claim", case.id, "U0BOB0001", "Bob")
    report = app.deliver()  # the alert fails; the update cannot go before it
    assert report.sent == 0 and report.retried == 2 and sink.messages == []
    for _ in range(3):  # retries come back in whatever order their backoff gives
        clock.advance(timedelta(minutes=20))
        app.deliver()
    assert len(sink.top_level()) == 1 and len(sink.updates) == 1
    # rendered when sent: the first message already shows the claim
    assert sink.top_level()[0].fields["Owner"] == "bob"


# ---------------------------------------------------------------------------- acknowledgements


ACK_AUTO = {"modes": {"x": "auto"}, "delay": "2m"}


def test_auto_acknowledgement_sent_once_despite_a_lost_answer_and_a_restart(
    world: dict[str, Any],
) -> None:
    app, source, _sink, replier = build(world, acknowledgements=ACK_AUTO)
    clock: FakeClock = world["clock"]
    p = post(clock, "NovaBrew broken", handle="maria")
    source.add(p)
    app.poll(source)
    app.deliver()
    assert replier.replies == {}  # waits `delay` for a person to answer first
    clock.advance(timedelta(minutes=2))
    replier.crash_after_post = 1
    report = app.deliver()
    assert report.retried == 1 and len(replier.replies[p.native_id]) == 1
    assert replier.find_calls == []

    # a restart: a new process on the same database
    app.close()
    app, source2, sink2, _ = build(world, acknowledgements=ACK_AUTO)
    app.senders = build_senders_with(app, replier)
    pass_time(app.sessions, clock, timedelta(minutes=20))
    assert app.deliver().sent >= 1
    assert replier.find_calls == [p.native_id]  # checked the platform before any resend
    assert len(replier.replies[p.native_id]) == 1
    text = replier.replies[p.native_id][0]
    case = case_of(app, p.native_id)
    assert text.endswith(f"(Ref RW-{case.id})") and "broken" not in text
    assert case.acknowledged_at == clock.now and case.first_response_at is None
    clock.advance(timedelta(minutes=20))
    app.deliver()  # the message update ("Acknowledged in public"), nothing more on the platform
    assert len(replier.replies[p.native_id]) == 1
    assert count(app, Outbox, Outbox.kind == "public_reply", Outbox.status != "sent") == 0
    assert [m.title for m in sink2.messages] == ["Acknowledged in public"]

    # the acknowledgement comes back through the feed: it acknowledges, it does not respond
    source2.add(
        post(
            clock,
            f"@maria {text}",
            handle="NovaBrew",
            in_reply_to=p.native_id,
            kind="reply",
        )
    )
    app.poll(source2)
    case = case_of(app, p.native_id)
    assert case.first_response_at is None and case.status == CaseStatus.ACKNOWLEDGED


def build_senders_with(app: App, replier: FakeReplier) -> Any:
    from monitor.delivery import build_senders

    assert app.sink is not None
    return build_senders(
        app.sessions, app.settings, app.sink, repliers={"x": replier}, clock=app.clock
    )


def complaint_due_for_ack(world: dict[str, Any]) -> tuple[App, FakeReplier, SourcePost]:
    """A complaint polled with automatic acknowledgements on, its reply now due."""
    app, source, _, replier = build(world, acknowledgements=ACK_AUTO)
    p = post(world["clock"], "NovaBrew broken")
    source.add(p)
    app.poll(source)
    world["clock"].advance(timedelta(minutes=2))
    return app, replier, p


def test_a_reply_that_failed_before_posting_is_sent_after_checking(world: dict[str, Any]) -> None:
    app, replier, p = complaint_due_for_ack(world)
    clock: FakeClock = world["clock"]
    replier.fail_before_post = 1
    app.deliver()
    assert replier.replies == {}
    pass_time(app.sessions, clock, 10)  # past the first backoff (at most 5s)...
    app.deliver()
    assert replier.find_calls == []  # ...but a platform lists new replies late: not yet
    pass_time(app.sessions, clock, timedelta(minutes=20))
    app.deliver()
    assert replier.find_calls == [p.native_id] and len(replier.replies[p.native_id]) == 1


class LateListingReplier(FakeReplier):
    """Lists a reply in ``find_reply`` only a while after it was posted (X's timelines are
    eventually consistent), or never (``never_lists``: a busy account's reply beyond the
    reach of the platform's search); ``crash_after_post_with`` posts, then raises it."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__("x")
        self.clock = clock
        self.posted_at: dict[str, datetime] = {}
        self.never_lists = False
        self.crash_after_post_with: Exception | None = None
        self.rate_limited: list[RateLimited] = []

    def reply(self, in_reply_to: str, text: str) -> str:
        reply_id = super().reply(in_reply_to, text)
        self.posted_at.setdefault(in_reply_to, self.clock.now)
        if self.crash_after_post_with is not None:
            exc, self.crash_after_post_with = self.crash_after_post_with, None
            raise exc
        return reply_id

    def find_reply(self, in_reply_to: str) -> str | None:
        self.find_calls.append(in_reply_to)
        if self.rate_limited:
            raise self.rate_limited.pop(0)
        at = self.posted_at.get(in_reply_to)
        listed = at is not None and self.clock.now - at >= timedelta(seconds=30)
        return f"found-{in_reply_to}" if listed and not self.never_lists else None


def test_a_reply_posted_before_an_unexpected_failure_waits_before_looking(
    world: dict[str, Any],
) -> None:
    # the reply is posted, then something other than the platform's error fails (a bug, the
    # database): the retry must still wait for the platform to list the reply, then find it
    app, _, p = complaint_due_for_ack(world)
    clock: FakeClock = world["clock"]
    replier = LateListingReplier(clock)
    app.senders = build_senders_with(app, replier)
    replier.crash_after_post_with = RuntimeError("connection reset after the post")
    assert app.deliver().retried == 1 and len(replier.replies[p.native_id]) == 1
    pass_time(app.sessions, clock, 10)  # past the first backoff, not the settle time
    app.deliver()
    assert replier.find_calls == [] and len(replier.replies[p.native_id]) == 1
    pass_time(app.sessions, clock, timedelta(minutes=2))
    app.deliver()
    assert replier.find_calls == [p.native_id] and len(replier.replies[p.native_id]) == 1
    assert case_of(app, p.native_id).acknowledged_at is not None


def test_a_reply_already_recorded_is_not_posted_again(world: dict[str, Any]) -> None:
    # posted and recorded on the case, but the row was never marked sent (the process died):
    # the case's record is enough, whatever the platform's search still reaches
    app, _, p = complaint_due_for_ack(world)
    clock: FakeClock = world["clock"]
    replier = LateListingReplier(clock)
    replier.never_lists = True
    app.senders = build_senders_with(app, replier)
    assert app.deliver().sent >= 1 and len(replier.replies[p.native_id]) == 1
    with app.sessions.begin() as s:
        row = s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{p.native_id}")).one()
        # a claim whose lease ends now, by the clock leases are timed by; 5 minutes later
        row.status, row.claimed_until = OutboxStatus.CLAIMED, db.shared_now(s, local=clock.now)
    pass_time(app.sessions, clock, timedelta(minutes=5))
    app.deliver()
    assert len(replier.replies[p.native_id]) == 1 and replier.find_calls == []
    with app.sessions() as s:
        row = s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{p.native_id}")).one()
        assert row.status == OutboxStatus.SENT


def test_waiting_for_the_platform_uses_no_attempts(world: dict[str, Any]) -> None:
    # a failed reply, then the platform's timeline limit is spent for 15 minutes: the settle
    # wait and the rate limit's reset are waited out, and the reply goes once they are over
    app, _, p = complaint_due_for_ack(world)
    clock: FakeClock = world["clock"]
    replier = LateListingReplier(clock)
    app.senders = build_senders_with(app, replier)
    replier.fail_before_post = 1
    app.deliver()

    def row() -> Outbox:
        with app.sessions() as s:
            return s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{p.native_id}")).one()

    pass_time(app.sessions, clock, 10)
    app.deliver()  # too early to look: back when the settle time is over, no attempt used
    assert replier.find_calls == [] and row().attempts == 1
    settled = MONDAY_10 + timedelta(minutes=2) + RESEND_SETTLE
    if world["url"].startswith("sqlite"):
        assert row().due_at == settled
    else:  # the database's clock also moved on while the test ran (milliseconds)
        assert settled - timedelta(seconds=1) < row().due_at <= settled
    pass_time(app.sessions, clock, row().due_at - clock.now)
    replier.rate_limited.append(RateLimited("x", 900, "user timeline: 429"))
    app.deliver()
    assert row().due_at >= clock.now + timedelta(seconds=900) and row().status == "pending"
    clock.advance(timedelta(seconds=901))
    app.deliver()
    assert len(replier.replies[p.native_id]) == 1 and row().status == OutboxStatus.SENT
    assert row().attempts == 3


def test_a_reply_the_platform_refuses_is_not_retried(world: dict[str, Any]) -> None:
    app, replier, p = complaint_due_for_ack(world)
    clock: FakeClock = world["clock"]
    replier.refused.add(p.native_id)
    assert app.deliver().failed == 1
    clock.advance(timedelta(hours=1))
    assert app.deliver().failed == 0  # not tried again: a person must look
    with app.sessions() as s:
        row = s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{p.native_id}")).one()
        assert row.status == OutboxStatus.FAILED and row.attempts == 1
        assert "replies limited" in (row.last_error or "")
    assert replier.replies == {}


def test_an_expired_claim_checks_the_platform_before_replying(world: dict[str, Any]) -> None:
    from monitor.outbox import claim

    app, source, _, replier = build(world, acknowledgements=ACK_AUTO)
    clock: FakeClock = world["clock"]
    posted, unposted = (
        post(clock, "NovaBrew broken", handle="p1"),
        post(clock, "NovaBrew refund", handle="p2"),
    )
    source.add(posted, unposted)
    app.poll(source)
    app.deliver()  # the alerts
    clock.advance(timedelta(minutes=2))
    with app.sessions.begin() as s:  # a worker takes both replies, posts one, and dies
        rows = [r for r in claim(s, worker="dead", now=clock.now) if r.kind == "public_reply"]
        assert len(rows) == 2
        for row in rows:  # each attempt noted before its call, as the sender notes it
            case = s.get(Case, row.case_id)
            assert case is not None
            detail = {"attempt": 1, "via": "x"}
            add_event(s, case, "ack_attempt", actor=SYSTEM, now=clock.now, detail=detail)
    replier.reply(posted.native_id, "the dead worker's reply")  # the other's call never ended
    assert app.deliver().sent == 0  # still leased to the dead worker
    pass_time(app.sessions, clock, LEASE + timedelta(minutes=1))  # the lease runs out
    app.deliver()
    assert sorted(replier.find_calls) == sorted([posted.native_id, unposted.native_id])
    assert len(replier.replies[posted.native_id]) == 1  # found: not sent again
    assert len(replier.replies[unposted.native_id]) == 1  # not found: sent now
    with app.sessions() as s:
        result = s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{posted.native_id}")).one()
        assert result.status == "sent" and result.result == {
            "reply_id": f"found-{posted.native_id}",
            "found": True,
        }


def test_acknowledgement_guards(world: dict[str, Any]) -> None:
    app, source, _, replier = build(
        world, acknowledgements={"modes": {"x": "auto"}, "delay": "2m", "per_author_per_day": 1}
    )
    clock: FakeClock = world["clock"]
    staff = post(clock, "Dana Reyes is the worst", handle="s1")
    answered = post(clock, "NovaBrew broken", handle="a1")
    twice_1 = post(clock, "NovaBrew broken", handle="rep")
    twice_2 = post(clock, "NovaBrew refund now", handle="rep")
    fa = post(clock, "NovaBrew خراب [fa] [critical]", handle="f1")
    resolved = post(clock, "NovaBrew broken", handle="r1")
    source.add(staff, answered, twice_1, twice_2, fa, resolved)
    app.poll(source)
    clock.advance(timedelta(minutes=1))
    source.add(post(clock, "Sorry, DM us", handle="NovaBrew", in_reply_to=answered.native_id))
    app.poll(source)  # a person answered within the delay
    resolved_case = case_of(app, resolved.native_id).id  # ...or resolved the case in it
    assert "resolved" in app.actions().on_action("resolve", resolved_case, "U0BOB0001", "Bob")
    clock.advance(timedelta(minutes=2))
    app.deliver()
    assert set(replier.replies) == {twice_1.native_id, fa.native_id}
    assert replier.replies[fa.native_id][0].startswith("صمیمانه عذرخواهی می‌کنیم")
    assert "NovaBrew" in replier.replies[fa.native_id][0]  # {brand} filled in, nothing else
    assert ("ack_skipped", "replywatch") in events(app, case_of(app, twice_2.native_id).id)
    assert ("ack_skipped", "replywatch") in events(app, case_of(app, staff.native_id).id)
    assert ("ack_skipped", "replywatch") in events(app, case_of(app, answered.native_id).id)
    assert ("ack_skipped", "replywatch") in events(app, resolved_case)


def test_dry_run_records_and_approval_waits_for_the_button(world: dict[str, Any]) -> None:
    reddit_replier = FakeReplier("reddit")
    app, source, sink, replier = build(
        world,
        repliers={"reddit": reddit_replier},
        acknowledgements={"modes": {"x": "dry-run", "reddit": "approval"}},
    )
    clock: FakeClock = world["clock"]
    dry = post(clock, "NovaBrew broken", handle="d")
    source.add(dry)
    reddit = MemorySource("reddit", platform="reddit")
    needs_ok = post(clock, "NovaBrew broken", handle="r", platform="reddit")
    reddit.add(needs_ok)
    app.poll(source)
    app.poll(reddit)
    clock.advance(timedelta(hours=1))
    app.deliver()
    assert count(app, Outbox, Outbox.kind == "public_reply") == 0 and replier.replies == {}
    dry_case = case_of(app, dry.native_id)
    assert "ack_dry_run" in [k for k, _ in events(app, dry_case.id)]
    assert "Dry run" in app.actions().on_action("send_ack", dry_case.id, "U0BOB0001", "Bob")
    reddit_alert = next(m for m in sink.top_level() if m.fields["Platform"] == "reddit")
    assert "send_ack" in reddit_alert.extra["actions"]
    ok_case = case_of(app, needs_ok.native_id)
    assert "Sending" in app.actions().on_action("send_ack", ok_case.id, "U0BOB0001", "Bob")
    assert "one per case" in app.actions().on_action("send_ack", ok_case.id, "U0BOB0001", "Bob")
    app.deliver()
    assert list(reddit_replier.replies) == [needs_ok.native_id]
    assert ("ack_queued", "Bob (slack:U0BOB0001)") in events(app, ok_case.id)


# ------------------------------------------------------------------------ clocks & escalation


def pings(row: Outbox) -> str:
    """The mentions a rendered notice carries, checked in the blocks and the notification
    text both (escaped text would show "&lt;@U…&gt;" and ping nobody)."""
    rendered = render_alert(alert_from_payload(row))
    found = [
        b["text"]["text"]
        for b in rendered.blocks
        if b["type"] == "section" and b.get("text", {}).get("type") == "mrkdwn"
    ]
    assert len(found) == 1 and rendered.text.startswith(found[0] + " ")
    assert "&lt;@" not in rendered.text
    return str(found[0])


def test_warnings_and_breaches_fire_once_at_the_right_moments(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    normal = post(clock, "NovaBrew broken", handle="n")
    critical = post(clock, "NovaBrew burned my hand, broken [critical]", handle="c")
    answered = post(clock, "NovaBrew broken again", handle="m")
    source.add(normal, critical, answered)
    app.poll(source)
    # critical on x routes to the pr team (rule 4); its clock: 15 calendar minutes
    assert case_of(app, critical.native_id).team == "pr"

    clock.advance(timedelta(minutes=9))
    assert app.check_clocks().keys == []  # warn_before is 5 minutes: not yet
    source.add(post(clock, "On it, DM us", handle="NovaBrew", in_reply_to=answered.native_id))
    app.poll(source)  # a brand reply stops that case's acknowledge and response clocks
    clock.advance(timedelta(minutes=1))  # 10:10: acknowledge (15m) and critical response warn
    report = app.check_clocks()
    ids = {p.native_id: case_of(app, p.native_id).id for p in (normal, critical, answered)}
    assert sorted(report.keys) == sorted(
        [
            f"warn:{ids[normal.native_id]}:acknowledge",
            f"warn:{ids[critical.native_id]}:acknowledge",
            f"warn:{ids[critical.native_id]}:first_response",
        ]
    )
    assert app.check_clocks().keys == []  # once each

    clock.advance(timedelta(minutes=5))  # 10:15: breaches
    report = app.check_clocks()
    n, c = ids[normal.native_id], ids[critical.native_id]
    assert sorted(report.keys) == sorted(
        [
            f"breach:{n}:acknowledge",
            f"breach:{c}:acknowledge",
            f"breach:{c}:acknowledge:pr",
            f"breach:{c}:first_response",
            f"breach:{c}:first_response:pr",
        ]
    )
    assert app.check_clocks().keys == []
    with app.sessions() as s:
        pr = s.scalars(select(Outbox).where(Outbox.key == f"breach:{c}:first_response:pr")).one()
        assert pr.target == "#pr"
        lead = s.scalars(select(Outbox).where(Outbox.key == f"breach:{n}:acknowledge")).one()
        assert lead.target == "#support" and pings(lead) == "<@U0LENA001>"
        warned = s.scalars(select(Outbox).where(Outbox.key.like("warn:%"))).first()
        assert warned is not None and pings(warned) == "<@U0ALICE01>"  # its owner
    # the answered case never warned nor breached on its response clocks
    assert not any(str(ids[answered.native_id]) + ":" in k for k in report.keys)

    # 4 business hours for normal severity: 14:00, warned at 13:55
    clock.now = datetime(2026, 11, 23, 13, 56, tzinfo=UTC)
    assert f"warn:{n}:first_response" in app.check_clocks().keys
    clock.now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert f"breach:{n}:first_response" in app.check_clocks().keys
    app.deliver()
    assert any(m.title.startswith("BREACH") and m.channel == "#pr" for m in sink.messages)


def test_an_escalation_whose_clock_stopped_before_it_went_out_is_not_sent(
    world: dict[str, Any],
) -> None:
    """Slack was down when the warnings were written; by the time it is back, one case was
    answered and another resolved. Their "Due soon" would send people after finished work;
    the case still waiting gets its warning."""
    app, source, sink, _ = build(world)
    clock: FakeClock = world["clock"]
    answered, resolved, waiting = (
        post(clock, "NovaBrew broken", handle=h) for h in ("ann", "rob", "wes")
    )
    source.add(answered, resolved, waiting)
    app.poll(source)
    app.deliver()
    clock.advance(timedelta(minutes=10))  # acknowledge (15m) warns at 10:10
    assert len(app.check_clocks().keys) == 3
    source.add(post(clock, "So sorry, DM us", handle="NovaBrew", in_reply_to=answered.native_id))
    app.poll(source)
    with app.sessions.begin() as s:
        case = s.get(Case, case_of(app, resolved.native_id).id)
        assert case is not None and resolve(s, case, actor="U1", now=clock.now)
    app.deliver()
    warned = [m.title for m in sink.messages if m.title.startswith("Due soon")]
    assert warned == [
        f"Due soon: RW-{case_of(app, waiting.native_id).id} acknowledgement due Mon 10:15 GMT"
    ]
    with app.sessions() as s:
        skipped = s.scalars(select(Outbox.result).where(Outbox.key.like("warn:%"))).all()
    assert sorted(str((r or {}).get("skipped")) for r in skipped) == [
        "None",
        "its acknowledgement clock stopped",
        "the case is resolved",
    ]


def test_a_stale_escalation_is_not_folded_into_a_clock_digest(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(
        world, alerts={"digest_after": 3, "slack": {"bot_token": "env:SLACK_BOT_TOKEN"}}
    )
    clock: FakeClock = world["clock"]
    posts = [post(clock, "NovaBrew broken", handle=f"d{i}") for i in range(6)]
    source.add(*posts)
    app.poll(source)
    app.deliver()
    clock.advance(timedelta(minutes=10))
    assert len(app.check_clocks().keys) == 6  # six acknowledge warnings: a digest's worth
    for answered in posts[:2]:
        reply = post(clock, "Sorry! DM us", handle="NovaBrew", in_reply_to=answered.native_id)
        source.add(reply)
    app.poll(source)
    app.deliver()
    [digest] = [m for m in sink.messages if m.kind == "digest" and "clock" in m.title]
    ids = sorted(case_of(app, p.native_id).id for p in posts[2:])
    assert sorted(a["case_id"] for a in digest.extra["alerts"]) == ids
    assert not [m for m in sink.messages if m.title.startswith("Due soon")]


def test_quiet_account_flagged_once_per_period(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(world, quiet={"no_reply_for": "1h"})
    clock: FakeClock = world["clock"]
    source.add(post(clock, "NovaBrew broken", handle="q1"))
    app.poll(source)
    clock.advance(timedelta(minutes=59))
    assert app.check_quiet() == []
    clock.advance(timedelta(minutes=2))
    keys = app.check_quiet()
    assert keys == ["quiet:x:novabrew:20261123T100000Z"]
    assert app.check_quiet() == []
    app.deliver()
    notice = next(m for m in sink.messages if m.title.startswith("Quiet account"))
    assert notice.channel == "#support" and "no reply for 1h 01m" in notice.text

    # the account answers someone, goes quiet again: a new period, a new notice
    waiting = post(clock, "NovaBrew broken too", handle="q2")
    source.add(waiting)
    app.poll(source)
    clock.advance(timedelta(minutes=5))
    source.add(post(clock, "Sorry!", handle="NovaBrew", in_reply_to="nothing-we-track"))
    app.poll(source)
    reply_at = clock.now
    clock.advance(timedelta(minutes=30))
    assert app.check_quiet() == []
    clock.advance(timedelta(minutes=31))
    assert app.check_quiet() == [f"quiet:x:novabrew:{reply_at:%Y%m%dT%H%M%SZ}"]


def test_a_backlog_becomes_one_digest(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(
        world,
        alerts={
            "pr_channel": "#pr",
            "digest_after": 3,
            "slack": {"bot_token": "env:SLACK_BOT_TOKEN"},
        },
    )
    clock: FakeClock = world["clock"]
    source.add(*(post(clock, f"NovaBrew broken {i}", handle=f"u{i}") for i in range(5)))
    source.add(post(clock, "Pod X2 broken", handle="dev"))  # another channel, below the limit
    app.poll(source)
    app.deliver()
    support = sink.top_level("#support")
    assert len(support) == 1 and support[0].title == "5 new complaints in #support"
    assert support[0].kind == "digest" and len(support[0].extra["alerts"]) == 5
    assert len(sink.top_level("#devices")) == 1
    with app.sessions() as s:
        folded = s.scalars(
            select(Outbox).where(Outbox.kind == "alert", Outbox.target == "#support")
        )
        assert all(r.status == OutboxStatus.SENT and r.result for r in folded)
    # a later change to a digested case is dropped, not retried forever
    case_id = support[0].extra["alerts"][0]["case_id"]
    app.actions().on_action("claim", case_id, "U0BOB0001", "Bob")
    assert app.deliver().sent == 1 and sink.updates == []


def test_an_alert_tried_before_is_not_folded_into_a_digest(world: dict[str, Any]) -> None:
    app, source, sink, _ = build(
        world, alerts={"digest_after": 3, "slack": {"bot_token": "env:SLACK_BOT_TOKEN"}}
    )
    clock: FakeClock = world["clock"]
    first = post(clock, "NovaBrew broken first", handle="u0")
    source.add(first)
    app.poll(source)
    sink.fail.append(DeliveryError("alert", "slack: TimeoutError (it may have posted)"))
    assert app.deliver().retried == 1
    source.add(*(post(clock, f"NovaBrew broken {i}", handle=f"u{i}") for i in range(1, 5)))
    app.poll(source)  # a burst: four more alerts for #support
    clock.advance(timedelta(seconds=10))
    app.deliver()
    [digest] = [m for m in sink.top_level("#support") if m.kind == "digest"]
    own = case_of(app, first.native_id)
    assert sorted(a["case_id"] for a in digest.extra["alerts"]) == [2, 3, 4, 5]
    assert own.id == 1 and own.slack_ts is not None  # its own message, kept up to date
    app.actions().on_action("claim", own.id, "U0BOB0001", "Bob")
    app.deliver()
    assert [ts for ts, _ in sink.updates] == [own.slack_ts]


def two_daemons_on_slack(
    world: dict[str, Any], slack: Any, *, while_a_waits: Callable[[App], None]
) -> tuple[App, App, MemorySource]:
    """Daemons A and B on one database and one Slack; A's slack-sdk waits run
    ``while_a_waits(B)`` (B's delivery job fires meanwhile) after the wait and a slow
    request's 15 s have passed."""
    from alerts.slack import SlackSink

    clock: FakeClock = world["clock"]
    source = MemorySource("mem", platform="x")
    settings = make_settings(
        database_url=world["url"],
        alerts={"slack": {"bot_token": "env:SLACK_BOT_TOKEN", "api_url": slack.api_url}},
    )

    def daemon(sleep: Callable[[float], None]) -> App:
        sink = SlackSink(
            "xoxb-test-token", base_url=slack.api_url, sleep=sleep, per_channel_interval_s=0
        )
        app = App.build(
            settings, clock=clock, sink=sink, sources=[source], classifier=TaggedClassifier()
        )
        world["apps"].append(app)
        return app

    b = daemon(lambda seconds: None)

    def a_sleeps(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds + 15))
        while_a_waits(b)

    return daemon(a_sleeps), b, source


def test_slack_rate_limit_waits_never_outlast_the_lease(world: dict[str, Any]) -> None:
    from tests.emulators.slack import SlackEmulator

    with SlackEmulator() as slack:
        a, _, source = two_daemons_on_slack(world, slack, while_a_waits=lambda b: b.deliver())
        source.add(post(world["clock"], "NovaBrew broken", handle="maria"))
        a.poll(source)
        slack.rate_limit(30, times=3, method="chat.postMessage")  # the most A waits for
        a.deliver()
        assert len(slack.in_channel("#support")) == 1  # B never took A's row


def test_a_long_slack_rate_limit_is_waited_out_by_the_outbox(world: dict[str, Any]) -> None:
    from tests.emulators.slack import SlackEmulator

    clock: FakeClock = world["clock"]
    with SlackEmulator() as slack:
        a, _, source = two_daemons_on_slack(world, slack, while_a_waits=lambda b: None)
        source.add(post(clock, "NovaBrew broken", handle="maria"))
        a.poll(source)
        slack.rate_limit(300, times=1, method="chat.postMessage")
        started = clock.now
        assert a.deliver().retried == 1 and clock.now == started  # A did not sleep on it
        with a.sessions() as s:
            row = s.scalars(select(Outbox).where(Outbox.kind == "alert")).one()
            assert row.due_at >= started + timedelta(seconds=300) and row.attempts == 1
        clock.now = row.due_at
        assert a.deliver().sent >= 1 and len(slack.in_channel("#support")) == 1


def test_a_crowd_of_breaches_becomes_one_digest_pinging_the_lead_once(
    world: dict[str, Any],
) -> None:
    slack = {"bot_token": "env:SLACK_BOT_TOKEN"}
    alerts = {"pr_channel": "#pr", "digest_after": 3, "slack": slack}
    app, source, sink, _ = build(world, alerts=alerts)
    clock: FakeClock = world["clock"]
    source.add(*(post(clock, f"NovaBrew broken {i}", handle=f"u{i}") for i in range(5)))
    app.poll(source)
    app.deliver()  # the five alerts, folded into one digest
    sent = len(sink.messages)
    clock.advance(timedelta(minutes=10))  # warn_before the 15-minute acknowledge clock
    app.check_clocks()
    app.deliver()
    clock.advance(timedelta(minutes=5))  # five acknowledge clocks breach at once
    breaches = app.check_clocks().keys
    assert breaches == [f"breach:{i}:acknowledge" for i in range(1, 6)]
    app.deliver()
    new = sink.messages[sent:]
    assert [m.kind for m in new] == ["digest", "digest"], [m.title for m in new]
    warned, breached = new
    assert warned.title == "5 clock warnings and breaches in #support"
    # each owner once (cases go round the team), though five warnings named them
    assert sorted(warned.extra["mentions"]) == ["U0ALICE01", "U0BOB0001", "U0CAROL01"]
    assert breached.title.endswith("clock warnings and breaches in #support")
    assert breached.extra["mentions"] == ["U0LENA001"]  # the lead, once
    assert len({i["case_id"] for i in breached.extra["alerts"]}) == 5
    with app.sessions() as s:
        rows = s.scalars(select(Outbox).where(Outbox.key.in_(breaches)))
        assert all(r.status == OutboxStatus.SENT and r.result for r in rows)


def test_without_slack_the_console_shows_owner_clocks_and_history(world: dict[str, Any]) -> None:
    import io

    from rich.console import Console

    from alerts.console import ConsoleSink

    screen = io.StringIO()
    clock: FakeClock = world["clock"]
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(database_url=world["url"]),
        clock=clock,
        sink=ConsoleSink(Console(file=screen, width=200)),
        sources=[source],
        classifier=TaggedClassifier(),
    )
    world["apps"].append(app)
    source.add(post(clock, "NovaBrew broken", handle="maria"))
    source.add(post(clock, "NovaBrew broken again [high]", handle="maria"))
    app.poll(source)
    app.deliver()
    shown = screen.getvalue()
    assert "Due: acknowledge" in shown and "due Mon 23 Nov 10:15 GMT" in shown
    assert "Open, owner alice" in shown and "Open, owner bob" in shown
    assert shown.count("Earlier case 1") == 1  # the second complaint lists the first
