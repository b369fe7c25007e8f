"""A public reply is posted once, and told truly, whatever another sender or a crash does.

Found in review: a reply row put back (``outbox retry --claimed``) under a sender still alive,
between that sender's claim and its note of the attempt, was posted by both; and a reply sent
and recorded before a crash was told "not sent" when a later try could not choose its source.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor import outbox
from monitor.app import App
from monitor.errors import SourceUnavailable
from monitor.models import CaseEvent, Outbox
from monitor.reply_sources import SourceRepliers
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import FakeReplier
from tests.response.test_ack_review import MONDAY_10, complaint


def test_a_reply_put_back_under_a_live_sender_is_posted_once(
    database_url: str, apps: list[App]
) -> None:
    clock = FakeClock(MONDAY_10)
    replier = FakeReplier("x")
    first, _, key = complaint(apps, database_url, clock, replier)
    second = App.build(
        first.settings,
        clock=clock,
        sink=first.sink,
        sources=first.sources,
        classifier=first.pipeline.classifier,
        repliers={"x": replier},
    )
    apps.append(second)
    send = first.senders["public_reply"]

    def a_person_frees_it_first(row: Outbox) -> object:
        # the first sender holds the claim; a person who takes it for dead frees the row
        # and the second sender delivers it before the first one goes on
        with first.sessions.begin() as s:
            assert outbox.requeue(s, keys=[row.key], now=clock(), claimed=True) == [row.key]
        assert second.deliver().sent == 1
        return send(row)

    first.senders = {**first.senders, "public_reply": a_person_frees_it_first}
    first.deliver()
    assert len(replier.replies["555"]) == 1
    with first.sessions() as s:
        assert s.scalars(select(Outbox.status).where(Outbox.key == key)).one() == "sent"


class Named(FakeReplier):
    """An X source holding one brand account's keys; X can be down when asked whose."""

    def __init__(self, name: str, handle: str) -> None:
        super().__init__("x")
        self.name, self.handle, self.down = name, handle, False

    def reply_handle(self) -> str:
        if self.down:
            raise SourceUnavailable(self.name, "users/me: HTTP 503")
        return self.handle


def test_a_reply_recorded_before_a_crash_is_not_told_as_not_sent(
    database_url: str, apps: list[App]
) -> None:
    clock = FakeClock(MONDAY_10)
    main, pr = Named("x-main", "NovaBrew"), Named("x-pr", "NovaBrewPR")
    app, sink, key = complaint(apps, database_url, clock, main)
    repliers = SourceRepliers({"x": main}, {"x": [main, pr]})
    rebuilt = App.build(  # the same, with two sources to choose from
        app.settings,
        clock=clock,
        sink=sink,
        sources=app.sources,
        classifier=app.pipeline.classifier,
        repliers=repliers,
    )
    apps.append(rebuilt)
    send = rebuilt.senders["public_reply"]

    class Killed(BaseException):
        pass

    def killed_once_recorded(row: Outbox) -> object:
        send(row)
        raise Killed  # after the reply was posted and recorded, before the row was marked

    rebuilt.senders = {**rebuilt.senders, "public_reply": killed_once_recorded}
    with pytest.raises(Killed):
        rebuilt.deliver()
    rebuilt.senders = {**rebuilt.senders, "public_reply": send}
    main.down = pr.down = True  # X cannot say whose keys each source holds
    for _ in range(3):
        pass_time(rebuilt.sessions, clock, 3600)
        rebuilt.deliver()
    with rebuilt.sessions() as s:
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))]
        assert s.scalars(select(Outbox.status).where(Outbox.key == key)).one() == "sent"
    assert "ack_failed" not in kinds and kinds.count("ack_sent") == 1
    assert main.replies == {"555": main.replies["555"]} and len(main.replies["555"]) == 1
    assert not [m.title for m in sink.messages if "not sent" in m.title]


class Unsearchable(FakeReplier):
    """Takes a reply, then times out (it may be up); cannot be searched for it since."""

    def find_reply(self, in_reply_to: str) -> str | None:
        self.find_calls.append(in_reply_to)
        raise SourceUnavailable(self.platform, "search: HTTP 503")


def test_a_reply_given_up_after_a_timeout_is_told_as_it_may_have_gone_out(
    database_url: str, apps: list[App]
) -> None:
    clock = FakeClock(MONDAY_10)
    replier = Unsearchable("x")
    replier.crash_after_post = 1
    app, sink, key = complaint(apps, database_url, clock, replier)
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        app.deliver()
        pass_time(app.sessions, clock, 3600)
    with app.sessions() as s:
        assert s.scalars(select(Outbox.status).where(Outbox.key == key)).one() == "failed"
    assert len(replier.replies["555"]) == 1 and len(replier.find_calls) > 1
    lines = [m.title for m in sink.messages if m.thread_ts and "cknowledgement" in m.title]
    assert len(lines) == 1 and lines[0].startswith("Acknowledgement given up, and it may have")
