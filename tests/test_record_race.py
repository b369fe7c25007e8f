"""A brand reply and the complaint it answers, stored by two transactions at once, meet.

The daemon polls each source in a thread of its own, all on one schedule, and two sources of
one platform are a supported setup (one X source per brand account, a JSON-lines export beside
an X source). Under PostgreSQL's READ COMMITTED neither of two such transactions saw the
other's uncommitted rows: the one storing the complaint found no reply, the one storing the
reply found no case, and the case's clocks ran on for good (false breaches; in ``auto`` mode the
template went out under a person's answer). The store step is now serialised per platform
(:func:`monitor.store.lock_platforms`); SQLite's ``BEGIN IMMEDIATE`` already serialised it,
so there these tests pin that the same holds.

Each test leaves one transaction open (a poll job mid-batch) while a second runs in a thread
and waits for it, then commits the first: the order two poll jobs meet in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.models import Case, CaseEvent, CaseStatus
from monitor.settings import Settings
from sources.base import SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier, make_post
from tests.response.response_support import FakeReplier, RecordingSink

SETTINGS = {
    "brand_accounts": {"x": [{"handle": "NovaBrew", "team": "support"}]},
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        },
    ],
    "sources": [{"name": "search", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}

COMPLAINT = make_post("100", "NovaBrew arrived broken", handle="maria", minutes=1)
REPLY = make_post(
    "101",
    "@maria so sorry, we've DMed you",
    handle="NovaBrew",
    minutes=5,
    in_reply_to="100",
    kind="reply",
)


def build(database_url: str, clock: FakeClock, **settings: object) -> tuple[App, FakeReplier]:
    replier = FakeReplier("x")
    app = App.build(
        Settings.model_validate({**SETTINGS, **settings, "database_url": database_url}),
        clock=clock,
        sink=RecordingSink() if settings else ConsoleSink(),
        sources=[MemorySource("search", platform="x"), MemorySource("brand", platform="x")],
        classifier=KeywordClassifier(),
        repliers={"x": replier},
    )
    return app, replier


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[App]:
    application, _ = build(database_url, clock)
    yield application
    application.close()


def record(app: App, source: str, post: SourcePost) -> Callable[[Session], object]:
    """What a poll job of ``source`` does with a batch holding ``post``, in ``session``."""
    prepared = app.pipeline.prepare([post])
    return lambda session: app.pipeline.record(session, source, prepared, now=app.clock())


def beside(app: App, hold: Callable[[Session], object], other: Callable[[], object]) -> None:
    """Run ``hold`` in a transaction left open while ``other`` runs in a thread of its own;
    commit it once ``other`` has finished or waits for it, then let ``other`` finish."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            other()
        except BaseException as exc:  # raised below, not lost in the thread
            failed.append(exc)

    thread = threading.Thread(target=run)
    with app.sessions() as held, held.begin():
        hold(held)
        thread.start()
        done_or_waiting(app, thread)
    thread.join(timeout=30)
    assert not thread.is_alive(), "the second transaction never finished"
    assert not failed, failed


def done_or_waiting(app: App, thread: threading.Thread, *, timeout_s: float = 10.0) -> None:
    """Return once ``thread`` has finished or waits on the store lock (PostgreSQL), or after a
    moment (SQLite, which a second connection cannot ask while a writer holds it: the thread
    waits at ``BEGIN IMMEDIATE`` or has not started, and either way runs after our commit)."""
    if app.engine.dialect.name != "postgresql":
        thread.join(timeout=0.3)
        return
    deadline = time.monotonic() + timeout_s
    with app.engine.connect() as conn:
        while thread.is_alive() and time.monotonic() < deadline:
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
            conn.rollback()  # a fresh snapshot of pg_stat_activity next time
            if waiting:
                return
            time.sleep(0.01)


def the_case(app: App) -> Case:
    with app.sessions() as s:
        return s.scalars(select(Case)).one()


def events(app: App) -> list[str]:
    with app.sessions() as s:
        return list(s.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))


@pytest.mark.parametrize("first", ["complaint", "reply"])
def test_a_reply_and_its_complaint_stored_at_once_meet(app: App, first: str) -> None:
    # two poll jobs of one platform, one storing the complaint, one the brand's reply; the
    # one named ``first`` is mid-transaction when the other starts
    complaint, reply = record(app, "search", COMPLAINT), record(app, "brand", REPLY)
    hold, then = (complaint, reply) if first == "complaint" else (reply, complaint)

    def other() -> None:
        with app.sessions.begin() as session:
            then(session)

    beside(app, hold, other)
    case = the_case(app)
    assert case.first_response_at == REPLY.created_at, "the brand answered; its clocks run on"
    assert case.status == CaseStatus.RESPONDED
    assert events(app).count("responded") == 1


def test_a_case_opened_by_hand_while_the_reply_is_stored_is_answered(app: App) -> None:
    # a mention the classifier did not flag, stored earlier; a person opens its case with
    # /replywatch case while a poll job stores the brand's reply to it
    missed = make_post("100", "NovaBrew took three weeks to arrive", handle="maria", minutes=1)
    with app.sessions.begin() as session:
        record(app, "search", missed)(session)
    actions = app.actions()
    said: list[str] = []
    beside(
        app,
        record(app, "brand", REPLY),
        lambda: said.append(actions.on_command("case x:100", "U0BOB0001", "bob", "C0X")),
    )
    assert said[0].startswith("RW-"), said
    case = the_case(app)
    assert case.first_response_at == REPLY.created_at, "the brand answered; its clocks run on"


def test_no_template_goes_under_an_answer_stored_at_once(
    database_url: str, clock: FakeClock
) -> None:
    # acknowledgements on (auto): the complaint's transaction plans the template; the reply
    # stored beside it must stop it, or the customer gets a bot message under a person's answer
    app, replier = build(
        database_url, clock, acknowledgements={"modes": {"x": "auto"}, "delay": "2m"}
    )
    try:
        complaint, reply = record(app, "search", COMPLAINT), record(app, "brand", REPLY)

        def other() -> None:
            with app.sessions.begin() as session:
                reply(session)

        beside(app, complaint, other)
        clock.advance(timedelta(minutes=3))
        app.deliver(rounds=5)
        assert replier.replies == {}, "a template went out after a person answered"
        assert the_case(app).first_response_at == REPLY.created_at
    finally:
        app.close()
