"""A case's thread shows what was said, not only who said it: the brand's answer under its
"Answered by @X" line, and the acknowledgement replywatch sent under "Acknowledged in public".

The real Slack sink (slack-sdk) against the Slack emulator, and the console sink on a
recording rich Console; SQLite and PostgreSQL. What the brand wrote is shown as a post is:
cleaned of disguising characters, plain text (never markup) in Slack's blocks, escaped in the
notification text Slack parses.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from alerts.base import Alert
from alerts.blocks import QUOTE_CHARS, clean_text, render_alert
from alerts.console import ConsoleSink
from alerts.slack import SlackSink
from monitor import outbox
from monitor.app import App
from monitor.models import Case, Outbox, OutboxKind, OutboxStatus, Post
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.emulators.slack import SlackEmulator, SlackMessage, validate_blocks
from tests.fakes import FakeClock
from tests.response.response_support import (
    ENVIRON,
    FakeReplier,
    TaggedClassifier,
    make_settings,
)

ZWNJ = "\u200c"
#: Persian, with a zero-width non-joiner Persian needs (kept) and a right-to-left override
#: and a zero-width space that could disguise text (dropped).
PERSIAN = (
    f"سلام مریم، از تأخیر متأسفیم.\u202e لطفاً شماره{ZWNJ}ی سفارش را\u200b در پیام خصوصی بفرستید"
)
#: What Slack would parse as markup in mrkdwn or the notification text.
SPECIAL = "Sorry <!channel> & <@U0BOB0001>: see <https://evil.example|our refund page> > DM us"
REPLIES = {"persian": PERSIAN, "slack-special": SPECIAL}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # Monday, London at work


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=ENVIRON["SLACK_BOT_TOKEN"]) as em:
        yield em


@pytest.fixture
def apps() -> Iterator[list[App]]:
    built: list[App] = []
    yield built
    for app in built:
        app.close()


_IDS = iter(range(5000, 100_000))


def post(clock: FakeClock, text: str, *, handle: str = "maria", **kw: Any) -> SourcePost:
    native_id = str(next(_IDS))
    return SourcePost(
        platform="x",
        native_id=native_id,
        text=text,
        author=Author(native_id=f"id-{handle}", handle=handle, followers=100),
        created_at=clock.now,
        url=f"https://x.com/{handle}/status/{native_id}",
        **kw,
    )


def on_slack(
    database_url: str,
    clock: FakeClock,
    slack: SlackEmulator,
    apps: list[App],
    replier: FakeReplier | None = None,
    **settings: Any,
) -> tuple[App, MemorySource]:
    source = MemorySource("mem", platform="x")
    sink = SlackSink(ENVIRON["SLACK_BOT_TOKEN"], base_url=slack.api_url, per_channel_interval_s=0)
    app = App.build(
        make_settings(database_url=database_url, **settings),
        clock=clock,
        sink=sink,
        sources=[source],
        classifier=TaggedClassifier(),
        repliers={"x": replier or FakeReplier("x")},
    )
    apps.append(app)
    return app, source


def case_of(app: App, native_id: str) -> Case:
    with app.sessions() as s:
        case = s.scalar(select(Case).join(Case.post).where(Post.native_id == native_id))
        assert case is not None
        return case


def drain(app: App, clock: FakeClock, rounds: int = 3) -> None:
    for _ in range(rounds):
        app.deliver()
        clock.advance(timedelta(seconds=30))


def thread(slack: SlackEmulator, case: Case) -> list[SlackMessage]:
    return [m for m in slack.in_channel("support") if m.thread_ts == case.slack_ts]


def objects(message: SlackMessage, kind: str) -> list[str]:
    """The texts of every ``kind`` (``plain_text`` or ``mrkdwn``) object in its blocks."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return found


def buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


# ---------------------------------------------------------------------------------- Slack


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_the_brands_answer_is_quoted_in_the_thread(
    database_url: str, clock: FakeClock, slack: SlackEmulator, apps: list[App], name: str
) -> None:
    app, source = on_slack(database_url, clock, slack, apps)
    complaint = post(clock, "NovaBrew broken, nobody answers")
    source.add(complaint)
    app.poll(source)
    drain(app, clock, rounds=1)
    clock.advance(timedelta(minutes=10))
    reply = post(clock, REPLIES[name], handle="NovaBrew", in_reply_to=complaint.native_id)
    source.add(reply)
    app.poll(source)
    drain(app, clock)

    assert slack.rejected == []
    [line] = thread(slack, case_of(app, complaint.native_id))
    title, quote = objects(line, "plain_text")[:2]
    assert title == "Answered by @NovaBrew"
    # shown as typed, only cleaned, as a post is: a plain_text object, which Slack never parses
    assert quote == clean_text(REPLIES[name]).strip()
    assert line.blocks[1]["text"] == {"type": "plain_text", "text": quote, "emoji": False}
    # what Slack parses (the notification text, any mrkdwn) is escaped: nothing pings, links
    for parsed in [line.text, *objects(line, "mrkdwn")]:
        assert "<" not in parsed and ">" not in parsed, parsed
    assert line.text.startswith("Answered by @NovaBrew: ")
    [open_reply] = buttons(line)
    assert open_reply["text"]["text"] == "Open reply" and open_reply["url"] == reply.url

    if name == "slack-special":
        assert "<!channel>" in quote and "<https://evil.example|our refund page>" in quote
        assert "&lt;!channel&gt; &amp; &lt;@U0BOB0001&gt;" in line.text
    else:
        assert "\u202e" not in quote and "\u200b" not in quote  # cannot reorder or hide text
        assert f"شماره{ZWNJ}ی" in quote  # Persian keeps its zero-width non-joiner
        assert "در پیام خصوصی بفرستید" in quote and "در پیام خصوصی" in line.text


def test_a_long_answer_is_cut_with_its_link_for_the_rest(
    database_url: str, clock: FakeClock, slack: SlackEmulator, apps: list[App]
) -> None:
    app, source = on_slack(database_url, clock, slack, apps)
    complaint = post(clock, "NovaBrew broken")
    source.add(complaint)
    app.poll(source)
    long = "We are so sorry & we will make this right. " * 120  # 5,160 characters
    source.add(post(clock, long, handle="NovaBrew", in_reply_to=complaint.native_id))
    app.poll(source)
    drain(app, clock)

    assert slack.rejected == []
    [line] = thread(slack, case_of(app, complaint.native_id))
    quote = line.blocks[1]["text"]["text"]
    assert len(quote) <= QUOTE_CHARS and quote.endswith("…")
    assert quote.startswith("We are so sorry & we will make this right.")  # as typed
    assert len(line.text) <= 300 and "&amp;" in line.text
    notes = [e["text"] for b in line.blocks if b["type"] == "context" for e in b["elements"]]
    assert notes == [
        f"Reply cut to fit Slack ({len(long.strip()):,} characters); open it for the rest."
    ]
    assert [b["text"]["text"] for b in buttons(line)] == ["Open reply"]


def test_an_answer_stored_before_the_case_is_quoted_when_it_opens(
    database_url: str, clock: FakeClock, slack: SlackEmulator, apps: list[App]
) -> None:
    """A person opens the case for a complaint the classifier missed, which the brand had
    already answered: its thread still says what the answer was."""
    app, source = on_slack(database_url, clock, slack, apps)
    missed = post(clock, "NovaBrew, three weeks and nobody answers me")
    answer = post(
        clock, "Maria, sorry: DM us & we'll fix it", handle="NovaBrew", in_reply_to=missed.native_id
    )
    source.add(missed, answer)
    app.poll(source)
    app.actions().on_command(f"case {missed.url}", "U0BOB0001", "bob", "C0X")
    drain(app, clock)

    [line] = thread(slack, case_of(app, missed.native_id))
    assert objects(line, "plain_text")[:2] == [
        "Answered by @NovaBrew",
        "Maria, sorry: DM us & we'll fix it",
    ]
    assert buttons(line)[0]["url"] == answer.url


def test_an_update_written_without_a_quote_still_delivers(
    database_url: str, clock: FakeClock, slack: SlackEmulator, apps: list[App]
) -> None:
    """A row an older replywatch left in the outbox (its payload has no ``quote``): the line
    goes out alone, as it did."""
    app, source = on_slack(database_url, clock, slack, apps)
    complaint = post(clock, "NovaBrew broken")
    source.add(complaint)
    app.poll(source)
    drain(app, clock, rounds=1)
    case = case_of(app, complaint.native_id)
    with app.sessions.begin() as s:
        outbox.enqueue(
            s,
            key=f"update:{case.id}:999",
            kind=OutboxKind.ALERT_UPDATE,
            target="#support",
            payload={"line": "Answered by @NovaBrew", "case_id": case.id},
            case_id=case.id,
            now=clock.now,
        )
    drain(app, clock)

    assert slack.rejected == []
    [line] = thread(slack, case)
    assert line.text == "Answered by @NovaBrew"
    assert [b["type"] for b in line.blocks] == ["section"]
    with app.sessions() as s:
        row = s.scalars(select(Outbox).where(Outbox.key == f"update:{case.id}:999")).one()
        assert row.status == OutboxStatus.SENT


def test_the_acknowledgement_replywatch_sent_is_quoted_in_the_thread(
    database_url: str, clock: FakeClock, slack: SlackEmulator, apps: list[App]
) -> None:
    replier = FakeReplier("x")
    ack = {"modes": {"x": "auto"}, "delay": "2m"}
    app, source = on_slack(database_url, clock, slack, apps, replier, acknowledgements=ack)
    complaint = post(clock, "NovaBrew broken & <!channel>")
    source.add(complaint)
    app.poll(source)
    drain(app, clock, rounds=1)
    clock.advance(timedelta(minutes=2))
    drain(app, clock)

    case = case_of(app, complaint.native_id)
    [sent] = replier.replies[complaint.native_id]
    [line] = thread(slack, case)
    title, quote = objects(line, "plain_text")[:2]
    assert (title, quote) == ("Acknowledged in public", sent)
    assert sent.endswith(f"(Ref RW-{case.id})") and "broken" not in quote
    assert line.text == f"Acknowledged in public: {sent}"
    assert buttons(line) == []  # the replier gives an id, not a link


def test_a_long_quote_without_a_link_says_the_rest_is_not_shown() -> None:
    """An acknowledgement has no link (a replier gives an id): the cut note offers none."""
    line = Alert(
        key="update:1:2:thread",
        kind="thread",
        channel="C0SUPPORT",
        title="Acknowledged in public",
        text="We hear you & we are on it. " * 100,
        case_id=1,
        thread_ts="1.2",
    )
    rendered = render_alert(line)
    assert validate_blocks(rendered.blocks) == []
    assert [b["type"] for b in rendered.blocks] == ["section", "section", "context"]
    [note] = rendered.blocks[-1]["elements"]
    assert note["text"] == "Reply cut to fit Slack (2,799 characters); the rest is not shown."


# -------------------------------------------------------------------------------- console


def test_the_console_shows_the_brands_answer_under_its_line(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    console = Console(record=True, file=io.StringIO(), width=100, color_system=None)
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(database_url=database_url),
        clock=clock,
        sink=ConsoleSink(console),
        sources=[source],
        classifier=TaggedClassifier(),
    )
    apps.append(app)
    complaint = post(clock, "NovaBrew broken")
    source.add(complaint)
    app.poll(source)
    app.deliver()
    console.export_text()  # the case's panel: what follows is the thread line's
    answer = f"{PERSIAN} [bold]not markup[/bold] {SPECIAL}"
    reply = post(clock, answer, handle="NovaBrew", in_reply_to=complaint.native_id)
    source.add(reply)
    app.poll(source)
    drain(app, clock)

    shown = console.export_text()
    panel = shown[shown.index("Answered by @NovaBrew") :]
    flat = re.sub(r"[\s│╭╮╰╯─]", "", panel)  # wrapped text reads whole
    assert re.search(r"│ Reply +سلام", panel)
    assert re.sub(r"\s", "", clean_text(answer)) in flat  # shown as typed, only cleaned
    assert "\u202e" not in panel and "\u200b" not in panel and f"شماره{ZWNJ}ی" in panel
    assert "[bold]notmarkup[/bold]" in flat and "<!channel>" in flat  # text, not markup
    assert re.search(r"│ Link +" + re.escape(reply.url or ""), panel)
    assert f"RW-{case_of(app, complaint.native_id).id} · #support" in panel
