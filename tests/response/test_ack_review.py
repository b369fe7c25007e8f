"""Acknowledgements that can never go out, and ones given up for good, are told to people.

A sending mode (``approval``, ``auto``) with no source able to reply on its platform is a
config error in ``check-config``, ``poll`` and ``run`` alike, naming the mode and the fix. A
reply given up for good leaves an ``ack_failed`` event on the case and one line in its Slack
thread, however often the give-up is run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from monitor.app import App
from monitor.cli import app as cli
from monitor.cli_report import case_lines
from monitor.models import Case, CaseEvent, Outbox, OutboxStatus, Post
from monitor.outbox import MAX_ATTEMPTS
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import COMPLAINT_LINE, FakeClock, pass_time
from tests.response.response_support import (
    FakeReplier,
    RecordingSink,
    TaggedClassifier,
    make_settings,
)
from tests.test_cli import CONFIG as CLI_CONFIG

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work
NOT_SENT = "Acknowledgement not sent: "
MAY_HAVE_GONE = "Acknowledgement given up, and it may have gone out"

# ------------------------------------------------------------------ start-up and check-config

#: test_cli's config with a Reddit brand account (a Reddit source's username to reply as)
CONFIG = CLI_CONFIG.replace(
    "sources:\n", "brand_accounts:\n  reddit: [{{handle: NovaBrewHQ}}]\nsources:\n"
)
X_READ = "  - {name: xmain, type: x, bearer_token: env:RW_BEARER, api_url: 'http://127.0.0.1:9'}\n"
X_KEYS = (
    "  - {name: xreply, type: x, bearer_token: env:RW_BEARER, consumer_key: env:RW_CK,"
    " consumer_secret: env:RW_CS, access_token: env:RW_AT, access_token_secret: env:RW_ATS,"
    " api_url: 'http://127.0.0.1:9'}\n"
)
REDDIT_NO_PASSWORD = (
    "  - {name: rd, type: reddit, client_id: env:RW_ID, client_secret: env:RW_SECRET,"
    " subreddits: [novabrew]}\n"
)
ENV = {
    "RW_BEARER": "bearer",
    "RW_CK": "ck",
    "RW_CS": "cs",
    "RW_AT": "at",
    "RW_ATS": "ats",
    "RW_ID": "id",
    "RW_SECRET": "secret",
}


def write_config(tmp_path: Path, modes: str, extra_sources: str = "") -> Path:
    posts = tmp_path / "posts.jsonl"
    posts.write_text(COMPLAINT_LINE, encoding="utf-8")  # an X complaint, read from a file
    path = tmp_path / "replywatch.yaml"
    text = CONFIG.format(db=tmp_path / "rw.db", posts=posts) + extra_sources
    path.write_text(text + f"acknowledgements: {{modes: {modes}}}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("modes", "sources", "field", "says"),
    [
        (  # the walkthrough: the button on every X case, every reply failing for good
            "{x: approval}",
            "",
            "acknowledgements.modes.x",
            "is approval, but no enabled x source can reply; add an enabled x source with "
            "the brand account's consumer_key, consumer_secret, access_token and "
            "access_token_secret, or set acknowledgements.modes.x to off (or dry-run)",
        ),
        (  # a bearer token reads; replying needs the user-context keys
            "{x: auto}",
            X_READ,
            "acknowledgements.modes.x",
            "is auto, but source 'xmain' cannot reply without consumer_key, consumer_secret, "
            "access_token, access_token_secret; add them to sources.1, or set "
            "acknowledgements.modes.x to off (or dry-run)",
        ),
        (  # a script app replies with the brand account's password
            "{reddit: approval}",
            REDDIT_NO_PASSWORD,
            "acknowledgements.modes.reddit",
            "cannot reply without password; add them to sources.1",
        ),
        (
            "{rss: auto}",
            "",
            "acknowledgements.modes.rss",
            "replywatch cannot reply on rss: set acknowledgements.modes.rss to off",
        ),
    ],
)
def test_a_mode_no_source_can_carry_out_is_refused_by_check_config_and_poll(
    tmp_path: Path, modes: str, sources: str, field: str, says: str
) -> None:
    path = write_config(tmp_path, modes, sources)
    runner = CliRunner(env=ENV)
    checked = runner.invoke(cli, ["check-config", "-c", str(path)])
    polled = runner.invoke(cli, ["poll", "--once", "-c", str(path)])
    assert checked.exit_code == 2, checked.output
    assert polled.exit_code == 2, polled.output
    (line,) = checked.stderr.splitlines()
    assert line.startswith(f"config error: {field}: ") and says in " ".join(line.split())
    assert line in polled.stderr.splitlines()
    with_no_case = runner.invoke(cli, ["cases", "-c", str(path)])  # refused before any work
    assert "0 case(s)" in with_no_case.output


@pytest.mark.parametrize(
    ("modes", "sources"),
    [
        ("{x: dry-run}", ""),  # sends nothing: needs no replier
        ("{x: approval}", X_KEYS),
        ("{x: auto}", X_READ + X_KEYS),  # the one that can reply is the one that replies
        ("{x: auto}", X_KEYS + X_READ),
        ("{reddit: approval}", REDDIT_NO_PASSWORD.replace("}\n", ", password: env:RW_ID}\n")),
    ],
)
def test_a_mode_a_source_can_carry_out_passes(tmp_path: Path, modes: str, sources: str) -> None:
    checked = CliRunner(env=ENV).invoke(
        cli, ["check-config", "-c", str(write_config(tmp_path, modes, sources))]
    )
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.stdout


# ------------------------------------------------------------------------ replies given up


@pytest.fixture
def apps() -> Iterator[list[App]]:
    built: list[App] = []
    yield built
    for app in built:
        app.close()


def complaint(
    apps: list[App], url: str, clock: FakeClock, replier: FakeReplier
) -> tuple[App, RecordingSink, str]:
    """A complaint on X with automatic acknowledgements on, its alert out, its reply due."""
    source = MemorySource("mem", platform="x")
    sink = RecordingSink()
    app = App.build(
        make_settings(database_url=url, acknowledgements={"modes": {"x": "auto"}, "delay": "2m"}),
        clock=clock,
        sink=sink,
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": replier},
    )
    apps.append(app)
    source.add(
        SourcePost(
            platform="x",
            native_id="555",
            text="NovaBrew broken again",
            author=Author(native_id="id-maria", handle="maria", followers=1200),
            created_at=clock.now,
            url="https://x.com/maria/status/555",
        )
    )
    app.poll(source)
    app.deliver()
    clock.advance(timedelta(minutes=2))
    return app, sink, "ack:x:555"


def not_sent_lines(sink: RecordingSink) -> list[str]:
    return [m.title for m in sink.messages if m.thread_ts and m.title.startswith(NOT_SENT)]


def gave_up_lines(sink: RecordingSink) -> list[str]:
    """Thread lines of replies given up that may have gone out."""
    return [m.title for m in sink.messages if m.thread_ts and m.title.startswith(MAY_HAVE_GONE)]


def failed_events(app: App) -> list[dict[str, Any]]:
    with app.sessions() as s:
        return [
            dict(e.detail or {})
            for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "ack_failed"))
        ]


def test_a_reply_refused_for_good_is_told_once_in_the_thread_and_the_trail(
    database_url: str, apps: list[App]
) -> None:
    clock = FakeClock(MONDAY_10)
    replier = FakeReplier("x")
    replier.refused.add("555")  # X: replies limited on this post
    app, sink, key = complaint(apps, database_url, clock, replier)
    assert app.deliver().failed == 1
    for _ in range(3):  # the line goes out; later rounds add nothing
        pass_time(app.sessions, clock, timedelta(hours=1))
        app.deliver()
    (line,) = not_sent_lines(sink)
    assert "replies limited" in line
    (alert,) = sink.top_level()  # the line is in the case's own thread
    assert [m.thread_ts for m in sink.messages if m.title == line] == [sink.updates[0][0]]
    assert alert.key == "alert:x:555"
    (event,) = failed_events(app)
    assert "replies limited" in str(event["error"])
    with app.sessions() as s:
        assert s.scalars(select(Outbox).where(Outbox.key == key)).one().status == "failed"
        case = s.scalars(select(Case).join(Case.post).where(Post.native_id == "555")).one()
        trail = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
        assert any("ack_failed" in printed for printed in case_lines(case, trail))
    assert replier.replies == {}


class DownReplier(FakeReplier):
    """A platform that is down for good: every reply and every look for one fails."""

    def reply(self, in_reply_to: str, text: str) -> str:
        from monitor.errors import SourceUnavailable

        raise SourceUnavailable("x", "503 Service Unavailable")

    def find_reply(self, in_reply_to: str) -> str | None:
        from monitor.errors import SourceUnavailable

        self.find_calls.append(in_reply_to)
        raise SourceUnavailable("x", "503 Service Unavailable")


def test_a_give_up_run_again_is_told_once(database_url: str, apps: list[App]) -> None:
    # the attempts run out; then the daemon dies after telling the case but before marking
    # the row failed, so the row is claimed again and given up again: still one line. A 503
    # may answer a post the platform took: the line says the reply may have gone out
    clock = FakeClock(MONDAY_10)
    replier = DownReplier("x")
    app, sink, key = complaint(apps, database_url, clock, replier)

    def row() -> Outbox:
        with app.sessions() as s:
            return s.scalars(select(Outbox).where(Outbox.key == key)).one()

    for _ in range(MAX_ATTEMPTS * 2):
        if row().status == OutboxStatus.FAILED:
            break
        app.deliver()
        pass_time(app.sessions, clock, timedelta(minutes=20))
    assert row().status == OutboxStatus.FAILED and row().attempts == MAX_ATTEMPTS
    app.deliver()  # the thread line
    assert len(gave_up_lines(sink)) == 1 and not not_sent_lines(sink)
    with app.sessions.begin() as s:  # as if marking it failed never committed
        s.execute(
            update(Outbox)
            .where(Outbox.key == key)
            .values(
                status=OutboxStatus.CLAIMED,
                claimed_by="dead",
                claimed_until=datetime(2000, 1, 1, tzinfo=UTC),
            )
        )
    assert app.deliver().failed == 1  # claimed again, given up again
    pass_time(app.sessions, clock, timedelta(hours=1))
    app.deliver()
    (line,) = gave_up_lines(sink)
    assert f"gave up after {MAX_ATTEMPTS} attempts" in line and "503" in line
    assert len(failed_events(app)) == 1


def test_a_reply_left_with_no_source_to_send_it_is_told(database_url: str, apps: list[App]) -> None:
    # written while the mode was auto, its first try answered by a 503 (which may come after
    # X took the reply); the X source is gone (the mode turned off) since. Never tried, it
    # would be settled unsent (tests/response/test_ack_mode_at_send.py); tried, nothing can
    # look for that try's reply
    clock = FakeClock(MONDAY_10)
    replier = FakeReplier("x")
    replier.fail_before_post = 1
    app, sink, _ = complaint(apps, database_url, clock, replier)
    assert app.deliver().retried == 1
    later = App.build(
        make_settings(database_url=database_url),
        clock=clock,
        sink=sink,
        sources=[],
        classifier=TaggedClassifier(),
    )
    apps.append(later)
    pass_time(later.sessions, clock, timedelta(minutes=20))
    assert later.deliver().failed == 1
    later.deliver()
    (line,) = gave_up_lines(sink)
    assert line == (
        f"{MAY_HAVE_GONE}: check the post before answering by hand: no x source can reply: "
        "add one with reply credentials to look for an earlier attempt's reply"
    )
    assert not not_sent_lines(sink) and len(failed_events(later)) == 1


class CrashingReplier(FakeReplier):
    """A reply that crashes after the platform may have taken it (a bug, a database error
    recording it): not a refusal, so never "not sent"."""

    def reply(self, in_reply_to: str, text: str) -> str:
        raise RuntimeError("lost after the platform's answer")

    def find_reply(self, in_reply_to: str) -> str | None:
        return None


def test_a_reply_that_crashed_is_not_told_as_not_sent(database_url: str, apps: list[App]) -> None:
    # "not sent" would have a person answer by hand, a second public reply if it went out
    clock = FakeClock(MONDAY_10)
    app, sink, _ = complaint(apps, database_url, clock, CrashingReplier("x"))
    for _ in range(MAX_ATTEMPTS * 2):
        app.deliver()
        pass_time(app.sessions, clock, timedelta(minutes=20))
    app.deliver()
    assert not_sent_lines(sink) == []
    (line,) = [m.title for m in sink.messages if m.thread_ts and "Acknowledgement" in m.title]
    assert line.startswith("Acknowledgement given up, and it may have gone out: check the post")
    assert "RuntimeError" in line and len(failed_events(app)) == 1


class NamedReplier(FakeReplier):
    """A source that replies as one brand account: ``name`` is the source's."""

    def __init__(self, name: str) -> None:
        super().__init__("x")
        self.name = name


def test_a_resend_through_another_source_is_not_made(database_url: str, apps: list[App]) -> None:
    """The first attempt went through one X source and its answer was lost (it may be up);
    the config changed and another X source replies now. It looks in its own account only,
    would not find the first reply and would answer the customer twice: it gives up, saying
    the reply may be out."""
    clock = FakeClock(MONDAY_10)
    first = NamedReplier("x-support")
    first.crash_after_post = 1  # posted, then the connection dropped
    app, sink, key = complaint(apps, database_url, clock, first)
    app.deliver()
    assert list(first.replies) == ["555"]
    pass_time(app.sessions, clock, timedelta(minutes=5))
    other = NamedReplier("x-marketing")
    restarted = App.build(
        app.settings,
        clock=clock,
        sink=sink,
        sources=[MemorySource("mem", platform="x")],
        classifier=TaggedClassifier(),
        repliers={"x": other},
    )
    apps.append(restarted)
    assert restarted.deliver().failed == 1
    assert other.replies == {} and other.find_calls == []
    restarted.deliver()  # the thread line
    (line,) = [m.title for m in sink.messages if m.thread_ts and "Acknowledgement" in m.title]
    assert line.startswith("Acknowledgement given up, and it may have gone out")
    assert "'x-support'" in line and "'x-marketing'" in line
    with app.sessions() as s:
        assert s.scalars(select(Outbox.status).where(Outbox.key == key)).one() == "failed"
