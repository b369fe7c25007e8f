"""Before it posts, the sender asks whether the case was answered in public already; and it
records one reply once.

Found in review: a first send checked only the case's ``first_response_at``. The template
pasted by hand from the brand account (read back as ours: the case acknowledged, its first
response not), or pasted after a person claimed the case, or a brand reply stored before the
case was linked to it (rows left by a race a lock heals since), and the template was posted
all the same: a second public reply. A claim alone is internal and still gets the reply.
And a poll that read our reply back while the sender was still in its call recorded an
``ack_sent``, then the sender recorded a second one for the same reply.

The X tests run the real X client (tweepy, :class:`sources.x.XSource`) against the X
emulator, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.app import App
from monitor.models import Author, Case, CaseEvent, Outbox, OutboxStatus, Post
from monitor.pipeline import BatchResult
from monitor.wiring import watch_terms
from sources.base import Author as SourceAuthor
from sources.base import SourcePost
from sources.memory import MemorySource
from sources.x import XSource
from tests.emulators.x import XEmulator
from tests.fakes import FakeClock
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work
AUTO = {"modes": {"x": "auto"}, "delay": "5m"}


@dataclass
class OnX:
    app: App
    x: XEmulator
    source: XSource
    sink: RecordingSink
    clock: FakeClock
    complaint: str  # the customer's tweet id


@pytest.fixture
def on_x(database_url: str) -> Iterator[OnX]:
    """A complaint on X, its case open and alerted, its acknowledgement queued under ``auto``
    (due in 5 minutes); replies go out through the X source itself."""
    clock = FakeClock(MONDAY_10)
    em = XEmulator(clock=lambda: clock().timestamp())
    em.add_user("NovaBrew", followers=50_000, me=True)
    with em:
        settings = make_settings(
            database_url=database_url,
            brand_accounts={"x": [{"handle": "NovaBrew"}]},
            acknowledgements=AUTO,
        )
        source = XSource(
            "x",
            bearer_token="emulator-bearer",
            terms=watch_terms(settings),
            brand_handles=["NovaBrew"],
            api_url=em.url,
            timeout_s=2.0,
            page_size=10,
            clock=clock,
            consumer_key="emulator-ck",  # the emulator's own keys: they act as @NovaBrew
            consumer_secret="emulator-cs",
            access_token="emulator-at",
            access_token_secret="emulator-ats",
        )
        sink = RecordingSink()
        app = App.build(
            settings,
            clock=clock,
            sink=sink,
            sources=[source],
            classifier=TaggedClassifier(),
        )
        try:
            complaint = em.add_tweet("maria", "My NovaBrew machine is broken again")
            assert app.poll(source).result.cases_opened == 1
            app.deliver()  # the alert; the reply waits out its delay
            yield OnX(app, em, source, sink, clock, complaint)
        finally:
            source.close()
            app.close()


def replies_to(world: OnX, by: str = "NovaBrew") -> list[dict[str, Any]]:
    me = world.x.user_id(by)
    wanted = {"type": "replied_to", "id": world.complaint}
    return [
        t
        for t in world.x.tweets.values()
        if t["author_id"] == me and wanted in (t.get("referenced_tweets") or [])
    ]


def the_row(app: App) -> Outbox:
    with app.sessions() as s:
        return s.scalars(select(Outbox).where(Outbox.key.like("ack:%"))).one()


def the_case(app: App) -> Case:
    with app.sessions() as s:
        return s.scalars(select(Case)).one()


def events(app: App, kind: str) -> list[dict[str, Any]]:
    with app.sessions() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.kind == kind).order_by(CaseEvent.id))
        return [dict(e.detail or {}) for e in rows]


def send_when_due(app: App, clock: FakeClock) -> None:
    clock.advance(timedelta(minutes=6))  # past the delay
    app.deliver(rounds=3)


def claim(app: App) -> None:
    case_id = the_case(app).id
    assert "You own" in app.actions().on_action("claim", case_id, "U0BOB0001", "bob")
    assert the_case(app).owner == "bob"


# ------------------------------------------------------------ answered in public before


@pytest.mark.parametrize("claimed", [False, True])
def test_the_template_pasted_by_hand_is_not_posted_a_second_time(on_x: OnX, claimed: bool) -> None:
    """A person pastes the template from the brand account before the delay is over; the poll
    reads it back as the acknowledgement. The queued reply must not post it again, whether
    or not someone claimed the case first (then the case was acknowledged by the claim, and
    only the stored brand reply tells)."""
    app = on_x.app
    if claimed:
        claim(app)
    text = str(the_row(app).payload["text"])
    on_x.clock.advance(timedelta(minutes=1))
    pasted = on_x.x.add_tweet("NovaBrew", text, reply_to=on_x.complaint)
    app.poll(on_x.source)
    case = the_case(app)
    assert case.first_response_at is None  # read back as the template, not an answer

    send_when_due(app, on_x.clock)

    assert [t["id"] for t in replies_to(on_x)] == [pasted], "the template went out twice"
    row = the_row(app)
    reason = (
        f"a brand account already replied to the post (@NovaBrew, x:{pasted})"
        if claimed
        else f"already acknowledged in public (x:{pasted})"
    )
    assert (row.status, row.result) == (OutboxStatus.SENT, {"skipped": reason})
    assert events(app, "ack_skipped") == [{"reason": reason}]
    assert events(app, "ack_attempt") == [] and events(app, "ack_sent") == []


def test_a_claim_alone_does_not_stop_the_acknowledgement(on_x: OnX) -> None:
    """A claim is internal: the customer has heard nothing yet, and gets the template."""
    claim(on_x.app)
    send_when_due(on_x.app, on_x.clock)
    (sent,) = replies_to(on_x)
    assert the_row(on_x.app).result == {"reply_id": sent["id"]}
    assert events(on_x.app, "ack_skipped") == []


# ------------------------------------------------- a brand reply stored, never linked


def store_reply(
    s: Session, *, platform: str, in_reply_to: str, brand: bool, native_id: str = "r-1"
) -> None:
    """A reply as the pipeline stores it, left unlinked to any case (as a complaint and its
    brand reply stored by two transactions at once, before the store lock, left them)."""
    handle = "NovaBrew" if brand else "someone"
    author = Author(platform=platform, native_id=f"id-{handle}", handle=handle, is_brand=brand)
    s.add(author)
    s.flush()
    s.add(
        Post(
            platform=platform,
            native_id=native_id,
            source="mem",
            author_id=author.id,
            text="So sorry! DM us your order number",
            kind="reply",
            in_reply_to=in_reply_to,
            created_at=MONDAY_10 + timedelta(minutes=1),
            is_brand_response=brand,
        )
    )


@pytest.mark.parametrize(
    ("platform", "in_reply_to", "brand", "skipped"),
    [
        ("x", "1", True, True),  # the brand answered this post: no template after it
        ("reddit", "1", True, False),  # another platform's post with the same id
        ("x", "2", True, False),  # the brand answered another post
        ("x", "1", False, False),  # someone else replied to the complaint
    ],
)
def test_a_stored_brand_reply_to_the_post_stops_the_template(
    database_url: str,
    apps: list[App],
    platform: str,
    in_reply_to: str,
    brand: bool,
    skipped: bool,
) -> None:
    clock = FakeClock(MONDAY_10)
    replier = FakeReplier("x")
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(database_url=database_url, acknowledgements=AUTO),
        clock=clock,
        sink=RecordingSink(),
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": replier},
    )
    apps.append(app)
    for native_id in ("1", "2"):
        source.add(
            SourcePost(
                platform="x",
                native_id=native_id,
                text="NovaBrew arrived broken" if native_id == "1" else "NovaBrew is fine",
                author=SourceAuthor(native_id="id-maria", handle="maria"),
                created_at=MONDAY_10,
            )
        )
    app.poll(source)
    with app.sessions.begin() as s:
        store_reply(s, platform=platform, in_reply_to=in_reply_to, brand=brand)
    assert the_case(app).first_response_at is None  # never linked

    send_when_due(app, clock)

    row = the_row(app)
    if skipped:
        reason = "a brand account already replied to the post (@NovaBrew, x:r-1)"
        assert replier.replies == {}, "the template went out after the brand's answer"
        assert row.result == {"skipped": reason}
        assert events(app, "ack_skipped") == [{"reason": reason}]
    else:
        assert len(replier.replies["1"]) == 1
        assert row.result == {"reply_id": "9000"}
        assert events(app, "ack_skipped") == []


# ---------------------------------------- our reply polled back while the call is in flight


class PolledMidCall:
    """The X source, with a poll landing while its reply call is in flight: X has taken the
    reply, and a poll (on another thread, as the daemon's poller runs) reads it back and
    records it before the call returns to the sender. ``hold_s``: how long that poll's
    transaction stays open after recording it, the sender meanwhile going on."""

    platform = "x"

    def __init__(self, world: OnX, *, hold_s: float = 0.0) -> None:
        self.world, self.hold_s = world, hold_s
        self.poller: threading.Thread | None = None

    def reply(self, in_reply_to: str, text: str) -> str:
        reply_id = self.world.source.reply(in_reply_to, text)
        app = self.world.app
        recorded = threading.Event()
        record = app.pipeline.record

        def record_then_hold(session: Session, *args: Any, **kwargs: Any) -> BatchResult:
            result = record(session, *args, **kwargs)
            if result.responses:  # the batch of the brand's tweets: our reply, recorded
                app.pipeline.record = record  # type: ignore[method-assign]
                recorded.set()  # in a transaction not yet committed
                time.sleep(self.hold_s)
            return result

        app.pipeline.record = record_then_hold  # type: ignore[method-assign]
        self.poller = threading.Thread(target=app.poll, args=(self.world.source,))
        self.poller.start()
        assert recorded.wait(10)
        if not self.hold_s:
            self.poller.join(10)
        return reply_id

    def find_reply(self, in_reply_to: str) -> str | None:
        return self.world.source.find_reply(in_reply_to)


@pytest.mark.parametrize(
    "hold_s",
    [
        0.0,  # the poll committed before the call returned
        1.0,  # the poll's transaction still open when the sender records the reply
    ],
)
def test_our_reply_polled_back_mid_call_is_recorded_once(on_x: OnX, hold_s: float) -> None:
    replier = PolledMidCall(on_x, hold_s=hold_s)
    app = App.build(
        on_x.app.settings,
        clock=on_x.clock,
        sink=on_x.sink,
        sources=[on_x.source],
        classifier=on_x.app.pipeline.classifier,
        repliers={"x": replier},
    )
    try:
        replier.world = OnX(app, on_x.x, on_x.source, on_x.sink, on_x.clock, on_x.complaint)
        send_when_due(app, on_x.clock)
        assert replier.poller is not None
        replier.poller.join(10)

        (sent,) = replies_to(on_x)
        sent_events = events(app, "ack_sent")
        assert [e["reply_id"] for e in sent_events] == [sent["id"]], "recorded twice"
        assert sent_events[0].get("polled") is True  # the poll's, which came first
        row = the_row(app)
        assert (row.status, row.result) == (OutboxStatus.SENT, {"reply_id": sent["id"]})
        case = the_case(app)
        assert case.status == "acknowledged" and case.acknowledged_at is not None
        assert case.first_response_at is None
        assert len(events(app, "acknowledged")) == 1
        app.deliver()  # the case's update the poll wrote
        lines = [m.title for m in on_x.sink.messages if m.thread_ts is not None]
        assert lines.count("Acknowledged in public") == 1

        app.poll(on_x.source)  # read again: ours, by its recorded id
        assert the_case(app).first_response_at is None
        assert len(events(app, "ack_sent")) == 1
    finally:
        app.close()
