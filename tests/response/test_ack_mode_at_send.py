"""The acknowledgement mode is read again when a reply is sent, not only when it is queued.

A reply queued under ``auto`` waits out ``delay`` in the outbox. A PR lead who then sets the
platform ``off`` (or ``dry-run``) and restarts the daemon must stop it: the row is settled
unsent, its case told why. ``approval`` holds it until a person presses "Send
acknowledgement", which then sends that very reply. A reply tried before is still looked for
on the platform first: one already out is recorded, never hidden as "not sent".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from monitor.app import App
from monitor.delivery import RESEND_SETTLE
from monitor.models import Case, CaseEvent, Outbox, OutboxStatus, Post
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
AUTO = {"modes": {"x": "auto"}, "delay": "5m"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def world(database_url: str, clock: FakeClock) -> Iterator[dict[str, Any]]:
    apps: list[App] = []
    yield {"url": database_url, "clock": clock, "apps": apps, "sink": RecordingSink()}
    for app in apps:
        app.close()


def start(
    world: dict[str, Any], acknowledgements: dict[str, Any], replier: FakeReplier | None
) -> App:
    """A daemon (re)started on the same database with ``acknowledgements``; ``replier`` is
    the platform, the same across restarts (``None``: no source can reply any more)."""
    for app in world["apps"]:
        app.close()
    app = App.build(
        make_settings(database_url=world["url"], acknowledgements=acknowledgements),
        clock=world["clock"],
        sink=world["sink"],
        sources=[MemorySource("mem", platform="x")],
        classifier=TaggedClassifier(),
        repliers={"x": replier} if replier is not None else {},
    )
    world["apps"][:] = [app]
    return app


def queue_complaints(world: dict[str, Any], replier: FakeReplier, *ids: str) -> App:
    """Under ``auto``: the complaints ``ids`` open cases, alerted, their replies queued."""
    app = start(world, AUTO, replier)
    source = MemorySource("mem", platform="x")
    clock: FakeClock = world["clock"]
    for native_id in ids:
        source.add(
            SourcePost(
                platform="x",
                native_id=native_id,
                text="NovaBrew arrived broken",
                author=Author(native_id=f"id-{native_id}", handle=f"c{native_id}"),
                created_at=clock.now,
            )
        )
    app.poll(source)
    app.deliver()  # the alerts; the replies wait out their delay
    assert replier.replies == {}
    return app


def row_of(app: App, native_id: str) -> Outbox:
    with app.sessions() as s:
        return s.scalars(select(Outbox).where(Outbox.key == f"ack:x:{native_id}")).one()


def case_events(app: App, native_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with app.sessions() as s:
        case_id = s.scalar(select(Case.id).join(Case.post).where(Post.native_id == native_id))
        rows = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return [(e.kind, e.actor, dict(e.detail or {})) for e in rows]


def case_id_of(app: App, native_id: str) -> int:
    with app.sessions() as s:
        found = s.scalar(select(Case.id).join(Case.post).where(Post.native_id == native_id))
        assert found is not None
        return found


def thread_lines(world: dict[str, Any]) -> list[str]:
    return [m.title for m in world["sink"].messages if m.thread_ts is not None]


@pytest.mark.parametrize("mode", ["off", "dry-run"])
def test_replies_queued_under_auto_do_not_go_out_once_turned_off(
    world: dict[str, Any], mode: str
) -> None:
    platform = FakeReplier("x")
    queue_complaints(world, platform, "1", "2")
    app = start(world, {"modes": {"x": mode}}, platform)  # "stop the bot replying"
    world["clock"].advance(timedelta(minutes=6))  # past the delay
    report = app.deliver(rounds=5)

    assert platform.replies == {} and platform.find_calls == []
    reason = f"acknowledgements are {mode} for x"
    for native_id in ("1", "2"):
        row = row_of(app, native_id)
        assert row.status == OutboxStatus.SENT  # settled: never tried again
        assert row.result == {"skipped": reason, "held_by_mode": mode}
        skipped = [d for k, _, d in case_events(app, native_id) if k == "ack_skipped"]
        assert skipped == [{"reason": reason, "mode": mode}]
        kinds = [k for k, _, _ in case_events(app, native_id)]
        assert "ack_attempt" not in kinds and "ack_failed" not in kinds
    assert report.settled == 2 and report.messages == 0
    # a lead turning replies off expects none: no thread line per case in a crisis
    assert not [line for line in thread_lines(world) if "Acknowledgement" in line]


def test_turned_off_with_the_reply_credentials_removed_too_settles_without_failing(
    world: dict[str, Any],
) -> None:
    queue_complaints(world, FakeReplier("x"), "1")
    app = start(world, {"modes": {"x": "off"}}, None)  # no source can reply now
    world["clock"].advance(timedelta(minutes=6))
    app.deliver(rounds=3)
    row = row_of(app, "1")
    assert (row.status, row.result) == (
        OutboxStatus.SENT,
        {"skipped": "acknowledgements are off for x", "held_by_mode": "off"},
    )
    assert "ack_failed" not in [k for k, _, _ in case_events(app, "1")]


def test_a_reply_tried_before_is_looked_for_first_and_recorded_when_out(
    world: dict[str, Any],
) -> None:
    """X took the reply and the answer was lost; then replies are turned off. The reply is out:
    it is found and recorded (the case acknowledged), not settled as "not sent"."""
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")
    platform.crash_after_post = 1
    world["clock"].advance(timedelta(minutes=6))
    app.deliver()
    assert platform.replies == {"1": [platform.replies["1"][0]]}  # posted, answer lost
    app = start(world, {"modes": {"x": "off"}}, platform)
    pass_time(app.sessions, world["clock"], RESEND_SETTLE + timedelta(seconds=1))
    app.deliver(rounds=3)

    assert platform.find_calls == ["1"] and len(platform.replies["1"]) == 1
    row = row_of(app, "1")
    assert (row.status, row.result) == (OutboxStatus.SENT, {"reply_id": "found-1", "found": True})
    kinds = [k for k, _, _ in case_events(app, "1")]
    assert "ack_sent" in kinds and "ack_skipped" not in kinds
    with app.sessions() as s:
        case = s.get(Case, case_id_of(app, "1"))
        assert case is not None and case.acknowledged_at is not None


def test_a_reply_tried_before_and_not_out_is_held_after_looking(world: dict[str, Any]) -> None:
    platform = FakeReplier("x")
    app = queue_complaints(world, platform, "1")
    platform.fail_before_post = 1  # a 503: nothing went out
    world["clock"].advance(timedelta(minutes=6))
    app.deliver()
    app = start(world, {"modes": {"x": "dry-run"}}, platform)
    pass_time(app.sessions, world["clock"], timedelta(minutes=20))  # past the retry's backoff
    app.deliver(rounds=3)

    assert platform.find_calls == ["1"] and platform.replies == {}
    assert row_of(app, "1").result == {
        "skipped": "acknowledgements are dry-run for x",
        "held_by_mode": "dry-run",
    }


def test_approval_holds_an_auto_reply_until_a_person_sends_it(world: dict[str, Any]) -> None:
    platform = FakeReplier("x")
    queue_complaints(world, platform, "1")
    app = start(world, {"modes": {"x": "approval"}}, platform)
    world["clock"].advance(timedelta(minutes=6))
    app.deliver()  # the reply, held
    app.deliver()  # the case's update it wrote

    assert platform.replies == {}
    reason = "acknowledgements on x need approval, and nobody approved this one"
    assert row_of(app, "1").result == {"skipped": reason, "held_by_mode": "approval"}
    # told in the thread, and the message rewritten: it shows the button now
    line = f"Acknowledgement not sent: {reason} (Send acknowledgement sends it)"
    assert line in thread_lines(world)
    _, updated = world["sink"].updates[-1]
    assert "send_ack" in updated.extra["actions"]

    case_id = case_id_of(app, "1")
    assert "Sending" in app.actions().on_action("send_ack", case_id, "U0BOB0001", "Bob")
    app.deliver(rounds=3)
    assert len(platform.replies["1"]) == 1
    row = row_of(app, "1")
    assert row.status == OutboxStatus.SENT and row.result == {"reply_id": "9000"}
    assert "one per case" in app.actions().on_action("send_ack", case_id, "U0BOB0001", "Bob")
    app.deliver(rounds=3)
    assert len(platform.replies["1"]) == 1


def test_a_reply_a_person_approved_goes_out_after_a_restart(world: dict[str, Any]) -> None:
    """Approved, then the daemon restarted before it went out: the approval is on the case."""
    platform = FakeReplier("x")
    app = start(world, {"modes": {"x": "approval"}}, platform)
    source = MemorySource("mem", platform="x")
    source.add(
        SourcePost(
            platform="x",
            native_id="1",
            text="NovaBrew arrived broken",
            author=Author(native_id="id-1", handle="c1"),
            created_at=world["clock"].now,
        )
    )
    app.poll(source)
    assert "Sending" in app.actions().on_action(
        "send_ack", case_id_of(app, "1"), "U0BOB0001", "Bob"
    )
    app = start(world, {"modes": {"x": "approval"}}, platform)
    app.deliver(rounds=3)
    assert len(platform.replies["1"]) == 1
