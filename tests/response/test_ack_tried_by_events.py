"""Whether a public reply was tried before is told by its case's events, not its attempts.

Found in review (items 2-4 of the 685dfb5.. review):

- ``attempts`` counts claims. A page claimed by a daemon that was then killed (its lease ran
  out), or freed by ``outbox retry --claimed``, leaves ``attempts`` at 2 on a reply that never
  reached the platform. Replies then turned off with the reply credentials removed failed
  ("no x source can reply"), an "Acknowledgement not sent" line in its thread, instead of
  being held by the mode; with the credentials kept, the platform was asked for a reply that
  could not exist.
- Under ``approval``, a reply whose case a person had answered, resolved or dismissed was
  held first: its thread invited a press of "Send acknowledgement" that would be refused.
- Our reply read back by a poll before the sender recorded it gave the "Acknowledged in
  public" line without the reply quoted under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor import outbox
from monitor.app import App
from monitor.delivery import RESEND_SETTLE
from monitor.models import OutboxStatus
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import FakeReplier, RecordingSink
from tests.response.test_ack_mode_at_send import (
    case_events,
    case_id_of,
    queue_complaints,
    row_of,
    start,
    thread_lines,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEY = "ack:x:1"


@pytest.fixture
def world(database_url: str) -> Iterator[dict[str, Any]]:
    apps: list[App] = []
    clock = FakeClock(MONDAY_10)
    yield {"url": database_url, "clock": clock, "apps": apps, "sink": RecordingSink()}
    for app in apps:
        app.close()


def claimed_by_a_dead_sender(world: dict[str, Any], app: App, *, freed_by: str) -> None:
    """Past its delay, the reply is claimed by a daemon on another host that is then killed
    before it tried it; the claim ends as ``freed_by`` says."""
    world["clock"].advance(timedelta(minutes=6))
    with app.sessions.begin() as s:
        rows = outbox.claim(s, worker="otherhost:999:dead", now=world["clock"].now)
        assert [r.key for r in rows] == [KEY]
    if freed_by == "lease":
        pass_time(app.sessions, world["clock"], timedelta(minutes=11))
    else:  # a person who knows the claimer is dead
        with app.sessions.begin() as s:
            assert outbox.requeue(s, keys=[KEY], now=world["clock"].now, claimed=True) == [KEY]


@pytest.mark.parametrize("freed_by", ["lease", "retry --claimed"])
def test_a_reply_claimed_by_a_dead_sender_is_held_when_turned_off_without_credentials(
    world: dict[str, Any], freed_by: str
) -> None:
    app = queue_complaints(world, FakeReplier("x"), "1")
    claimed_by_a_dead_sender(world, app, freed_by=freed_by)
    app = start(world, {"modes": {"x": "off"}}, None)  # replies off, reply keys removed
    app.deliver(rounds=3)

    row = row_of(app, "1")
    assert row.attempts == 2  # two claims, no attempt
    assert (row.status, row.result) == (
        OutboxStatus.SENT,
        {"skipped": "acknowledgements are off for x", "held_by_mode": "off"},
    )
    kinds = [k for k, _, _ in case_events(app, "1")]
    assert "ack_attempt" not in kinds and "ack_failed" not in kinds
    assert not [line for line in thread_lines(world) if "Acknowledgement" in line]


@pytest.mark.parametrize("freed_by", ["lease", "retry --claimed"])
def test_a_reply_claimed_by_a_dead_sender_is_sent_without_asking_the_platform(
    world: dict[str, Any], freed_by: str
) -> None:
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")
    claimed_by_a_dead_sender(world, app, freed_by=freed_by)
    app = start(world, {"modes": {"x": "auto"}, "delay": "5m"}, platform)
    app.deliver(rounds=3)

    assert platform.find_calls == []  # nothing was ever posted: nothing to look for
    assert len(platform.replies["1"]) == 1
    assert row_of(app, "1").result == {"reply_id": "9000"}


def test_a_reply_that_may_have_gone_out_is_still_looked_for(world: dict[str, Any]) -> None:
    """The other side of the same check: an attempt that timed out is looked for, whatever
    the attempts say."""
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")
    platform.crash_after_post = 1  # X took it; the answer was lost
    world["clock"].advance(timedelta(minutes=6))
    app.deliver()
    app = start(world, {"modes": {"x": "off"}}, platform)
    pass_time(app.sessions, world["clock"], RESEND_SETTLE + timedelta(minutes=5))
    app.deliver(rounds=3)

    assert platform.find_calls == ["1"] and len(platform.replies["1"]) == 1
    assert row_of(app, "1").result == {"reply_id": "found-1", "found": True}


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("responded", "a person already answered"),
        ("resolve", "the case is resolved"),
        ("not_complaint", "marked not a complaint"),
    ],
)
def test_under_approval_a_case_needing_no_reply_is_skipped_not_held(
    world: dict[str, Any], action: str, reason: str
) -> None:
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")  # queued under auto
    app.actions().on_action(action, case_id_of(app, "1"), "U0BOB0001", "Bob")
    app = start(world, {"modes": {"x": "approval"}}, platform)
    world["clock"].advance(timedelta(minutes=6))
    app.deliver(rounds=3)

    assert platform.replies == {}
    row = row_of(app, "1")
    assert (row.status, row.result) == (OutboxStatus.SENT, {"skipped": reason})
    skipped = [d for k, _, d in case_events(app, "1") if k == "ack_skipped"]
    assert skipped == [{"reason": reason}]
    # no invitation to press a button that would be refused
    assert not [line for line in thread_lines(world) if "Send acknowledgement" in line]


def test_our_reply_read_back_by_a_poll_first_is_quoted_in_the_thread(
    world: dict[str, Any],
) -> None:
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")
    platform.crash_after_post = 1  # X took the reply (id 9000); the call timed out
    world["clock"].advance(timedelta(minutes=6))
    app.deliver()
    sent = platform.replies["1"][0]
    url = "https://x.com/NovaBrew/status/9000"
    source = MemorySource("brand-replies", platform="x")
    source.add(
        SourcePost(
            platform="x",
            native_id="9000",
            text=f"@c1 {sent}",  # X prefixes the mention
            author=Author(native_id="id-brand", handle="NovaBrew"),
            created_at=world["clock"].now,
            url=url,
            kind="reply",
            in_reply_to="1",
        )
    )
    app.poll(source)  # the poll records it first, not the sender
    app.deliver(rounds=3)

    lines = [m for m in world["sink"].messages if m.title == "Acknowledged in public"]
    assert [(m.text, m.url) for m in lines] == [(f"@c1 {sent}", url)]
    assert "ack_sent" in [k for k, _, _ in case_events(app, "1")]
