"""Our own templated acknowledgement, polled back before its id was recorded, is ours.

Found in review: X took the reply but the call timed out, so the sender never recorded its id;
the next poll read the reply from the brand's timeline with its link rewritten to t.co, the
text no longer equalled the template, and the template was taken for a person's answer. The
first-response clock stopped on a bot message, the case read "Answered by @NovaBrew", and no
warning or breach could ever fire. Now links, entities, case and spaces are compared alike,
and a reply by the replying account while an attempt's outcome is unknown is ours; either
way it is recorded as sent, so the resend does not post a second one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.app import App
from monitor.models import BrandAccount, Case, CaseEvent, Outbox
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work
KEY = "ack:x:1"
TEMPLATE = "Thanks, we are on it: https://status.novabrew.example (Ref {case_ref})"


class Killed(BaseException):
    """The daemon dies (SIGKILL, power) with the call made: nothing after it is written."""


class DyingReplier(FakeReplier):
    """X takes the reply; the sender dies before it hears back."""

    def reply(self, in_reply_to: str, text: str) -> str:
        super().reply(in_reply_to, text)
        raise Killed


@dataclass
class World:
    app: App
    source: MemorySource
    replier: FakeReplier
    clock: FakeClock
    attempt_at: datetime  # when the sender called X


@pytest.fixture
def make_world(database_url: str, tmp_path: Path) -> Iterator[Callable[..., World]]:
    built: list[App] = []

    def make(template: str = TEMPLATE, *, refused: bool = False, died: bool = False) -> World:
        templates = tmp_path / f"templates{len(built)}"
        templates.mkdir()
        (templates / "en.yaml").write_text(f"default: {json.dumps(template)}\n", encoding="utf-8")
        settings = make_settings(
            database_url=database_url,
            brand_accounts={
                "x": [
                    {"handle": "NovaBrew", "team": "support"},
                    {"handle": "NovaBrewPR", "team": "pr"},
                ]
            },
            acknowledgements={"modes": {"x": "auto"}, "delay": "5m", "templates": str(templates)},
        )
        clock = FakeClock(MONDAY_10)
        source = MemorySource("mem", platform="x")
        replier = DyingReplier("x") if died else FakeReplier("x")
        if refused:
            replier.refused.add("1")  # X says no: nothing went out
        elif not died:
            replier.crash_after_post = 1  # X took the reply; the answer was lost (a timeout)
        app = App.build(
            settings,
            clock=clock,
            sink=RecordingSink(),
            sources=[source],
            classifier=TaggedClassifier(),
            repliers={"x": replier},
        )
        built.append(app)
        source.add(post("1", "NovaBrew arrived broken", handle="customer", at=MONDAY_10))
        app.poll(source)
        pass_time(app.sessions, clock, timedelta(minutes=6))
        attempt_at = clock.now
        if died:
            with pytest.raises(Killed):
                app.deliver()
        else:
            app.deliver()
        assert len(replier.replies.get("1", [])) == (0 if refused else 1)
        return World(app, source, replier, clock, attempt_at)

    yield make
    for app in built:
        app.close()


def post(native_id: str, text: str, *, handle: str, at: datetime, **kw: str) -> SourcePost:
    return SourcePost(
        platform="x",
        native_id=native_id,
        text=text,
        author=Author(native_id=f"id-{handle}", handle=handle),
        created_at=at,
        **kw,  # type: ignore[arg-type]
    )


def brand_reply(world: World, text: str, *, after: timedelta, handle: str = "NovaBrew") -> None:
    """The brand's reply to the complaint, created ``after`` the attempt, read by a poll."""
    at = world.attempt_at + after
    world.source.add(post("9000", text, handle=handle, at=at, in_reply_to="1", kind="reply"))
    world.app.poll(world.source)


def case_state(world: World) -> tuple[str, datetime | None, list[str]]:
    with world.app.sessions() as s:
        case = s.scalars(select(Case)).one()
        return case.status, case.first_response_at, [e.kind for e in case.events]


def polled_sent(world: World) -> list[dict[str, object]]:
    """The ``ack_sent`` events the poll recorded."""
    with world.app.sessions() as s:
        details = s.scalars(select(CaseEvent.detail).where(CaseEvent.kind == "ack_sent"))
        return [d for d in details if d and d.get("polled")]


def resend(world: World) -> None:
    """The resend, once the settle wait is over: it must not post a second reply."""
    for _ in range(3):
        pass_time(world.app.sessions, world.clock, timedelta(minutes=5))
        world.app.deliver()
    with world.app.sessions() as s:
        row = s.scalars(select(Outbox).where(Outbox.key == KEY)).one()
        assert (row.status, (row.result or {}).get("reply_id")) == ("sent", "9000")
    assert len(world.replier.replies["1"]) == 1
    assert world.replier.find_calls == []  # recorded by the poll: X need not even be asked


@pytest.mark.parametrize(
    ("template", "as_read"),
    [
        (TEMPLATE, "@customer Thanks, we are on it: https://t.co/AbC123xyZ (Ref RW-1)"),
        (  # X links a bare domain too
            "Thanks, see novabrew.com/help. (Ref {case_ref})",
            "@customer Thanks, see https://t.co/Q1w2E3r4T5. (Ref RW-1)",
        ),
        (  # a JSON-lines export of X keeps X's escaping; spaces and case as X gives them
            "Sorry & thanks, we are on it (Ref {case_ref})",
            "@customer  sorry &amp; thanks,\nwe are on it (ref RW-1)",
        ),
    ],
)
@pytest.mark.parametrize(
    "after",
    [
        timedelta(seconds=1),  # as it happens: created while our call was in flight
        timedelta(hours=-1),  # X's clock far from ours: the text alone must tell
    ],
)
def test_our_template_read_back_as_x_rewrote_it_is_an_acknowledgement(
    make_world: Callable[..., World], template: str, as_read: str, after: timedelta
) -> None:
    world = make_world(template)
    brand_reply(world, as_read, after=after)
    status, first_response_at, kinds = case_state(world)
    assert first_response_at is None, "our template stopped the first-response clock"
    assert status == "acknowledged" and "responded" not in kinds
    assert [d["reply_id"] for d in polled_sent(world)] == ["9000"]
    with world.app.sessions() as s:  # a template is not the account answering
        assert all(a.last_reply_at is None for a in s.scalars(select(BrandAccount)))
    resend(world)


@pytest.mark.parametrize(
    ("died", "after"),
    [
        (False, timedelta(seconds=2)),  # the call timed out
        (True, timedelta(minutes=6)),  # the sender died mid-call: no telling when it ended
    ],
)
def test_a_reply_by_the_account_while_our_attempt_is_unconfirmed_is_ours(
    make_world: Callable[..., World], died: bool, after: timedelta
) -> None:
    # whatever X did to its text (here: cut short with a link to the rest), a reply to the
    # post by the account we replied as, made while that call was in flight, is ours
    world = make_world(died=died)
    brand_reply(world, "@customer Thanks, we are on… https://t.co/zz", after=after)
    status, first_response_at, _ = case_state(world)
    assert (status, first_response_at) == ("acknowledged", None)
    assert [d["reply_id"] for d in polled_sent(world)] == ["9000"]
    resend(world)


@pytest.mark.parametrize(
    ("handle", "after", "refused"),
    [
        ("NovaBrew", timedelta(minutes=10), False),  # long after the call ended
        ("NovaBrew", timedelta(minutes=-5), False),  # before we called X
        ("NovaBrewPR", timedelta(seconds=2), False),  # another brand account
        ("NovaBrew", timedelta(seconds=2), True),  # X refused ours: nothing went out
    ],
)
def test_a_person_answering_is_still_a_response(
    make_world: Callable[..., World], handle: str, after: timedelta, refused: bool
) -> None:
    world = make_world(refused=refused)
    brand_reply(world, "@customer So sorry! DM us your order number", after=after, handle=handle)
    status, first_response_at, kinds = case_state(world)
    assert status == "responded" and first_response_at == world.attempt_at + after
    assert polled_sent(world) == []
    assert "acknowledged" not in kinds
