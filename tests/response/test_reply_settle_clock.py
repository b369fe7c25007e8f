"""The wait before a public reply is resent, when the resend is claimed on another host.

A platform lists a fresh reply with a delay, so a resend waits ``RESEND_SETTLE`` after the
last attempt began before it asks the platform whether the reply exists. Daemons on several
hosts share one database and any of them may claim the retry; the wait is timed by the
database's clock (:func:`monitor.db.shared_now`), which a test cannot move: the host-skew test
shortens the settle time and lets it pass for real, as ``test_outbox`` does with leases.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from monitor import delivery, outbox
from monitor.app import App
from monitor.delivery import RESEND_SETTLE, build_senders
from monitor.models import Case, CaseEvent, CaseStatus, Outbox, OutboxStatus
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)

ACK_DELAY = timedelta(minutes=2)
ATTEMPTS = ("ack_attempt", "ack_attempt_failed")
#: What the attempt events' detail held before the database's time was recorded in it.
OLD_DETAIL = ("attempt", "error")


class LateListingReplier(FakeReplier):
    """Lists a reply in ``find_reply`` only ``listing_s`` seconds of real time after it was
    posted (X's timelines are eventually consistent)."""

    def __init__(self, listing_s: float) -> None:
        super().__init__("x")
        self.listing_s = listing_s
        self.posted_at: dict[str, float] = {}

    def reply(self, in_reply_to: str, text: str) -> str:
        try:
            return super().reply(in_reply_to, text)
        finally:  # posted, whether or not its answer is lost
            if self.replies.get(in_reply_to):
                self.posted_at.setdefault(in_reply_to, time.monotonic())

    def find_reply(self, in_reply_to: str) -> str | None:
        self.find_calls.append(in_reply_to)
        at = self.posted_at.get(in_reply_to)
        listed = at is not None and time.monotonic() - at >= self.listing_s
        return f"found-{in_reply_to}" if listed else None


def due_for_ack(
    apps: list[App], url: str, clock: FakeClock, replier: FakeReplier
) -> tuple[App, str]:
    """A complaint polled on ``clock``'s host with automatic acknowledgements on, then its
    reply's delay passes there. Returns the app and the post's id."""
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(database_url=url, acknowledgements={"modes": {"x": "auto"}}),
        clock=clock,
        sink=RecordingSink(),
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": replier},
    )
    apps.append(app)
    author = Author(native_id="id-maria", handle="maria", followers=1200)
    source.add(
        SourcePost(
            platform="x",
            native_id="4242",
            text="NovaBrew broken",
            author=author,
            created_at=clock.now,
            url="https://x.com/maria/status/4242",
        )
    )
    app.poll(source)
    clock.advance(ACK_DELAY)
    return app, "4242"


def reply_row(app: App, native_id: str) -> Outbox:
    with app.sessions() as s:
        return s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{native_id}")).one()


@pytest.mark.parametrize("lost", ["before posting", "after posting"])
def test_a_host_whose_clock_is_ahead_waits_for_the_platform_by_the_databases_clock(
    postgres_url: str, lost: str, apps: list[App], monkeypatch: pytest.MonkeyPatch
) -> None:
    # by hosts' clocks, host B (5 minutes ahead of A) read A's attempt as 5 minutes old and
    # asked the platform at once: a reply posted but not listed yet was posted again
    settle = timedelta(seconds=2)  # to see it pass for real on the database's clock
    monkeypatch.setattr(delivery, "RESEND_SETTLE", settle)
    right = datetime.now(UTC)  # A's clock reads right once the reply is due
    clock_a = FakeClock(right - ACK_DELAY)
    platform = LateListingReplier(listing_s=0.5)
    app, native_id = due_for_ack(apps, postgres_url, clock_a, platform)
    if lost == "before posting":
        platform.fail_before_post = 1
    else:
        platform.crash_after_post = 1
    assert app.deliver().retried == 1  # A's attempt: X answers 503 or times out
    posted = len(platform.replies.get(native_id, []))
    assert posted == (0 if lost == "before posting" else 1)

    clock_b = FakeClock(right + timedelta(minutes=5))
    assert app.sink is not None
    senders_b = build_senders(
        app.sessions, app.settings, app.sink, repliers={"x": platform}, clock=clock_b
    )
    report = outbox.deliver_due(app.sessions, senders_b, worker="B", clock=clock_b)
    assert len(platform.replies.get(native_id, [])) == posted, "replied twice in public"
    assert platform.find_calls == []  # B claims the retry at once, but asks nothing yet
    assert report.claimed == 1 and report.retried == 1
    row = reply_row(app, native_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1  # a wait, not a try
    assert "waiting for the platform" in (row.last_error or "")
    assert clock_b.now < row.due_at <= clock_b.now + settle

    time.sleep(settle.total_seconds() + 0.5)  # the settle time passes on the database
    clock_b.advance(settle)
    assert outbox.deliver_due(app.sessions, senders_b, worker="B", clock=clock_b).sent == 1
    assert platform.find_calls == [native_id]
    assert len(platform.replies[native_id]) == 1  # found, or sent now: once either way
    row = reply_row(app, native_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    if lost == "after posting":  # A's reply, found on the platform, not posted again
        assert row.result == {"reply_id": f"found-{native_id}", "found": True}
    with app.sessions() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == CaseStatus.ACKNOWLEDGED


def test_an_attempt_recorded_without_the_databases_time_settles_by_its_own(
    database_url: str, apps: list[App]
) -> None:
    # attempt events written before the database's time was recorded in them are timed as
    # they were: their ``at`` against this host's clock (the database's has not moved here)
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    platform = FakeReplier("x")
    app, native_id = due_for_ack(apps, database_url, clock, platform)
    platform.fail_before_post = 1
    assert app.deliver().retried == 1
    with app.sessions.begin() as s:
        attempts = list(s.scalars(select(CaseEvent).where(CaseEvent.kind.in_(ATTEMPTS))))
        assert [e.kind for e in attempts] == list(ATTEMPTS)
        for event in attempts:  # as an attempt made before the upgrade wrote them
            event.detail = {k: v for k, v in (event.detail or {}).items() if k in OLD_DETAIL}
        failed_at: Any = attempts[-1].at

    clock.advance(timedelta(seconds=10))
    app.deliver()
    assert platform.find_calls == [] and reply_row(app, native_id).attempts == 1
    assert reply_row(app, native_id).due_at == failed_at + RESEND_SETTLE
    clock.now = reply_row(app, native_id).due_at
    assert app.deliver().sent == 1
    assert platform.find_calls == [native_id] and len(platform.replies[native_id]) == 1
