"""SlackSink against the Slack emulator: real slack-sdk, real HTTP, faults from the emulator."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from rich.console import Console

from alerts.base import Alert, Receipt, Sink
from alerts.blocks import ACTIONS
from alerts.console import ConsoleSink
from alerts.slack import METADATA_EVENT, SlackSink
from monitor.errors import DeliveryError
from tests.alerts.conftest import TOKEN
from tests.emulators.http import Fault
from tests.emulators.slack import SlackEmulator, SlackMessage

#: Bidi overrides, embeddings and isolates, and invisible characters that disguise text.
DISGUISE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\u00ad]")


class FakeTime:
    """Monotonic seconds that move only when the sink sleeps; the sleeps are kept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sink(slack: SlackEmulator, fake_time: FakeTime) -> SlackSink:
    return SlackSink(
        TOKEN,
        base_url=slack.api_url,
        timeout_s=2,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        max_retries=2,
    )


def alert(
    n: int = 1, *, channel: str = "#support", text: str = "my widget broke", **kw: Any
) -> Alert:
    fields = {"Entity": "Acme (brand)", "Platform": "x", "Author": "@dana (1,200 followers)"}
    return Alert(
        key=kw.pop("key", f"alert:x:{n}"),
        kind=kw.pop("kind", "case"),
        channel=channel,
        title=kw.pop("title", f"HIGH complaint about Acme on x #{n}"),
        fields=kw.pop("fields", fields),
        text=text,
        url=kw.pop("url", f"https://x.com/dana/status/{n}"),
        case_id=kw.pop("case_id", n),
        extra=kw.pop("extra", {"actions": list(ACTIONS), "history": [], "due": {"ack": "10 min"}}),
        **kw,
    )


def api_calls(slack: SlackEmulator, method: str) -> int:
    return sum(1 for r in slack.requests if r.path == f"/api/{method}")


# -- posting and updating ----------------------------------------------------------------
def test_the_sink_is_a_sink(sink: SlackSink) -> None:
    assert isinstance(sink, Sink)
    assert sink.name == "slack"


def test_deliver_posts_once_and_returns_channel_id_and_ts(
    sink: SlackSink, slack: SlackEmulator
) -> None:
    receipt = sink.deliver(alert(1))
    [message] = slack.in_channel("C0SUPPORT")
    assert receipt == Receipt(channel="C0SUPPORT", message_id=message.ts)
    assert message.thread_ts is None
    assert message.text == "HIGH complaint about Acme on x #1: my widget broke"
    assert message.blocks[0]["type"] == "header"
    assert message.metadata == {
        "event_type": METADATA_EVENT,
        "event_payload": {"key": "alert:x:1", "kind": "case", "case_id": 1},
    }
    assert api_calls(slack, "chat.postMessage") == 1
    body = next(r for r in slack.requests if r.path == "/api/chat.postMessage").json()
    assert body["unfurl_links"] is False and body["unfurl_media"] is False
    assert slack.rejected == []


def test_update_rewrites_the_message_with_chat_update(
    sink: SlackSink, slack: SlackEmulator
) -> None:
    first = sink.deliver(alert(1))
    claimed = alert(1, extra={"actions": ["responded", "resolve"], "status": "Claimed by @ana"})
    receipt = sink.update(claimed, first.message_id or "")
    assert receipt == first
    [message] = slack.in_channel("#support")
    assert len(message.edits) == 1
    assert [u.ts for u in slack.updates] == [first.message_id]
    ids = [b["action_id"] for b in message.blocks[-1]["elements"]]
    assert ids == ["rw_open_post", "rw_responded", "rw_resolve"]
    assert api_calls(slack, "chat.postMessage") == 1


def test_update_by_channel_name_in_a_fresh_sink_looks_the_id_up(slack: SlackEmulator) -> None:
    posted = SlackSink(TOKEN, base_url=slack.api_url, per_channel_interval_s=0).deliver(alert(1))
    fresh = SlackSink(TOKEN, base_url=slack.api_url)  # e.g. after a restart
    assert fresh.update(alert(1, title="updated"), posted.message_id or "") == posted
    assert api_calls(slack, "conversations.list") == 1
    assert slack.in_channel("C0SUPPORT")[0].blocks[0]["text"]["text"] == "updated"


def test_update_of_a_missing_message_is_permanent(sink: SlackSink) -> None:
    with pytest.raises(DeliveryError) as err:
        sink.update(alert(1, channel="C0SUPPORT"), "123.456")
    assert not err.value.retryable
    assert "message_not_found" in str(err.value)


def test_thread_lines_go_to_the_thread(sink: SlackSink, slack: SlackEmulator) -> None:
    parent = sink.deliver(alert(1))
    line = Alert(
        key="line:1",
        kind="thread",
        channel="C0SUPPORT",
        title="Escalated to @lead",
        case_id=1,
        thread_ts=parent.message_id,
    )
    reply = sink.deliver(line)
    assert reply.channel == "C0SUPPORT" and reply.message_id != parent.message_id
    messages = slack.in_channel("C0SUPPORT")
    assert [m.thread_ts for m in messages] == [None, parent.message_id]
    assert messages[1].blocks[0] == {
        "type": "section",
        "text": {"type": "plain_text", "text": "Escalated to @lead", "emoji": True},
    }  # a thread line is a plain line, not a header


def test_one_message_per_second_per_channel(
    sink: SlackSink, slack: SlackEmulator, fake_time: FakeTime
) -> None:
    sink.deliver(alert(1, channel="#support"))
    sink.deliver(alert(2, channel="#pr"))  # another channel: no wait
    sink.deliver(alert(3, channel="C0SUPPORT"))  # same channel by id: waits
    sink.deliver(alert(4, channel="support"))  # and by bare name
    assert fake_time.sleeps == [1.0, 1.0]
    fake_time.now += 5  # a quiet spell: the next post goes at once
    sink.deliver(alert(5))
    assert fake_time.sleeps == [1.0, 1.0]
    assert len(slack.in_channel("C0SUPPORT")) == 4 and len(slack.in_channel("C0PR")) == 1


def test_updates_are_not_spaced(sink: SlackSink, fake_time: FakeTime) -> None:
    posted = sink.deliver(alert(1))
    for _ in range(3):
        sink.update(alert(1, channel=posted.channel), posted.message_id or "")
    assert fake_time.sleeps == []


# -- retries and errors ------------------------------------------------------------------
def test_429_is_retried_after_retry_after(
    sink: SlackSink, slack: SlackEmulator, fake_time: FakeTime
) -> None:
    slack.rate_limit(30, method="chat.postMessage")
    sink.deliver(alert(1))
    assert fake_time.sleeps == [30.0]
    assert api_calls(slack, "chat.postMessage") == 2
    assert len(slack.in_channel("C0SUPPORT")) == 1


def test_429_beyond_retries_is_retryable(
    sink: SlackSink, slack: SlackEmulator, fake_time: FakeTime
) -> None:
    slack.rate_limit(2, method="chat.postMessage", times=3)
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert err.value.outbox_key == "alert:x:1"
    assert "429" in str(err.value) or "ratelimited" in str(err.value)
    assert fake_time.sleeps == [2.0, 2.0]
    assert slack.in_channel("C0SUPPORT") == []


def test_a_long_retry_after_is_not_slept_through(
    sink: SlackSink, slack: SlackEmulator, fake_time: FakeTime
) -> None:
    slack.rate_limit(600, method="chat.postMessage")
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert fake_time.sleeps == []


def test_a_passing_5xx_is_retried(sink: SlackSink, slack: SlackEmulator) -> None:
    posted = sink.deliver(alert(1))
    slack.inject(Fault.server_error(503, path="chat.update"))
    sink.update(alert(1, channel=posted.channel, title="again"), posted.message_id or "")
    assert api_calls(slack, "chat.update") == 2
    assert slack.in_channel("C0SUPPORT")[0].blocks[0]["text"]["text"] == "again"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_on_a_post_is_retryable_and_the_resend_looks_first(
    sink: SlackSink, slack: SlackEmulator, status: int
) -> None:
    """A gateway's 5xx can come after Slack posted the message: no blind retry."""
    slack.inject(Fault.server_error(status, path="chat.postMessage"))
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert f"HTTP {status}" in str(err.value)
    assert api_calls(slack, "chat.postMessage") == 1
    sink.deliver(alert(1))
    assert api_calls(slack, "conversations.history") == 1
    assert len(slack.in_channel("C0SUPPORT")) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_persistent_5xx_is_retryable(sink: SlackSink, slack: SlackEmulator, status: int) -> None:
    posted = sink.deliver(alert(1))
    slack.inject(Fault.server_error(status, path="chat.update"), times=10)
    with pytest.raises(DeliveryError) as err:
        sink.update(alert(1, channel=posted.channel, title="again"), posted.message_id or "")
    assert err.value.retryable
    assert f"HTTP {status}" in str(err.value)
    assert api_calls(slack, "chat.update") == 3  # the first try and two retries


def test_a_dropped_post_is_not_blindly_resent(sink: SlackSink, slack: SlackEmulator) -> None:
    """The connection closed after the request went out: Slack may have posted it, so the
    sink does not retry on its own; the outbox's resend looks before posting."""
    slack.inject(Fault(drop=True, path="chat.postMessage"))
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    sink.deliver(alert(1))
    assert api_calls(slack, "conversations.history") == 1
    assert len(slack.in_channel("C0SUPPORT")) == 1


def test_a_dropped_update_is_retried(sink: SlackSink, slack: SlackEmulator) -> None:
    posted = sink.deliver(alert(1))
    slack.inject(Fault(drop=True, path="chat.update"))
    sink.update(alert(1, channel=posted.channel, title="again"), posted.message_id or "")
    assert api_calls(slack, "chat.update") == 2
    assert slack.in_channel("C0SUPPORT")[0].blocks[0]["text"]["text"] == "again"


def test_a_refused_connection_is_retried_then_retryable(fake_time: FakeTime) -> None:
    with SlackEmulator(token=TOKEN) as gone:
        url = gone.api_url  # a port nobody listens on once this closes
    sink = SlackSink(TOKEN, base_url=url, sleep=fake_time.sleep, max_retries=2)
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert len(fake_time.sleeps) == 2  # slack-sdk's connection handler tried twice more


def test_a_timeout_is_retryable_and_the_resend_checks_first(slack: SlackEmulator) -> None:
    sink = SlackSink(TOKEN, base_url=slack.api_url, timeout_s=0.3, per_channel_interval_s=0)
    slack.inject(Fault.timeout(1.0, path="chat.postMessage"))
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert "Timeout" in str(err.value) or "timed out" in str(err.value)
    sink.deliver(alert(1))  # not posted the first time: the check finds nothing, so it posts
    assert api_calls(slack, "conversations.history") == 1
    assert len(slack.in_channel("C0SUPPORT")) == 1


def test_a_lost_answer_does_not_post_twice(sink: SlackSink, slack: SlackEmulator) -> None:
    """Slack posted, but the answer was cut: the retry finds the message by its key."""
    slack.inject(Fault.truncated(keep=12, path="chat.postMessage"))
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert err.value.retryable
    assert len(slack.in_channel("C0SUPPORT")) == 1  # it did arrive
    receipt = sink.deliver(alert(1))
    [message] = slack.in_channel("C0SUPPORT")
    assert receipt == Receipt(channel="C0SUPPORT", message_id=message.ts)
    assert api_calls(slack, "chat.postMessage") == 1


def test_a_lost_thread_reply_is_found_in_the_thread(sink: SlackSink, slack: SlackEmulator) -> None:
    parent = sink.deliver(alert(1))
    line = alert(2, key="line:2", thread_ts=parent.message_id)
    slack.inject(Fault.truncated(keep=12, path="chat.postMessage"))
    with pytest.raises(DeliveryError):
        sink.deliver(line)
    assert sink.deliver(line).message_id == slack.in_channel("C0SUPPORT")[1].ts
    assert api_calls(slack, "conversations.replies") == 1
    assert len(slack.in_channel("C0SUPPORT")) == 2


def test_resend_flag_after_a_restart_checks_before_posting(slack: SlackEmulator) -> None:
    first = SlackSink(TOKEN, base_url=slack.api_url).deliver(alert(1))
    restarted = SlackSink(TOKEN, base_url=slack.api_url)
    again = alert(1, extra={"resend": True})
    assert restarted.deliver(again) == first
    assert len(slack.in_channel("C0SUPPORT")) == 1
    other = alert(2, extra={"resend": True})  # never posted: the check finds nothing
    restarted.deliver(other)
    assert len(slack.in_channel("C0SUPPORT")) == 2


def test_without_history_scope_the_resend_posts_anyway(
    sink: SlackSink, slack: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse["conversations.history"] = "missing_scope"
    with caplog.at_level("WARNING", logger="alerts.slack"):
        sink.deliver(alert(1, extra={"resend": True}))
    assert len(slack.in_channel("C0SUPPORT")) == 1
    assert "missing_scope" in caplog.text


def test_a_failing_check_defers_the_resend(sink: SlackSink, slack: SlackEmulator) -> None:
    slack.inject(Fault.server_error(503, path="conversations.history"), times=3)
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1, channel="C0SUPPORT", extra={"resend": True}))
    assert err.value.retryable
    assert slack.in_channel("C0SUPPORT") == []  # no guessing: it will look again later


def test_bad_token_is_permanent_and_never_echoed(slack: SlackEmulator) -> None:
    secret = "xoxb-1234-SECRET-do-not-log"
    sink = SlackSink(secret, base_url=slack.api_url)
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1))
    assert not err.value.retryable
    assert "invalid_auth" in str(err.value)
    assert secret not in str(err.value) and secret not in repr(err.value)
    with pytest.raises(DeliveryError) as err:
        sink.update(alert(1, channel="C0SUPPORT"), "1.2")
    assert not err.value.retryable and secret not in str(err.value)


@pytest.mark.parametrize(
    ("channel", "code"), [("#nowhere", "channel_not_found"), ("C0NOPE", "channel_not_found")]
)
def test_unknown_channel_is_permanent(sink: SlackSink, channel: str, code: str) -> None:
    with pytest.raises(DeliveryError) as err:
        sink.deliver(alert(1, channel=channel))
    assert not err.value.retryable and code in str(err.value)


def test_not_in_channel_is_permanent(fake_time: FakeTime) -> None:
    with SlackEmulator(token=TOKEN, member_of={"C0PR"}) as slack:
        sink = SlackSink(TOKEN, base_url=slack.api_url, sleep=fake_time.sleep)
        with pytest.raises(DeliveryError) as err:
            sink.deliver(alert(1))
        assert not err.value.retryable and "not_in_channel" in str(err.value)
        assert "invite the app to the channel" in str(err.value)
        sink.deliver(alert(2, channel="#pr"))


# -- hostile texts ------------------------------------------------------------------------
ZWNJ = "\u200c"
HOSTILE = {
    "mentions": "<!channel> <!here> <!everyone> <@U123> <#C0PR> hello team",
    "link": "please <https://evil.example|click here> for your refund",
    "mrkdwn": "*bold* _italic_ ~strike~ `code` ```block``` > quote :rage:",
    "rtl_override": "invoice \u202egpj.exe\u202c and \u2066isolated\u2069 text",
    "zero_width": "pay\u200bpal sup\u2060port \ufeffhelp",
    "persian": "می" + ZWNJ + "خواهم پولم را پس بگیرم، سفارش خراب است",
    "arabic": "المنتج سيء جدا وأريد استرداد أموالي <!channel>",
    "mixed": "Acme's app & site < > are down for @everyone in 🇬🇧 👨\u200d👩\u200d👧",
}


def visible_texts(message: SlackMessage, *, parsed: bool) -> list[str]:
    """What Slack parses for markup (``parsed``: the fallback and mrkdwn objects) or shows as
    typed (plain_text objects)."""
    found = [message.text] if parsed else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == ("mrkdwn" if parsed else "plain_text"):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return found


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w\u200c]{3,}", text)}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_arrives_harmless_and_readable(
    sink: SlackSink, slack: SlackEmulator, name: str
) -> None:
    text = HOSTILE[name]
    hostile_fields = {"Author": f"@{text[:40]}", "Entity": "Acme <!here>"}
    sink.deliver(alert(1, text=text, fields=hostile_fields, extra={"history": [text[:60]]}))
    assert slack.rejected == []
    [message] = slack.in_channel("C0SUPPORT")
    for shown in visible_texts(message, parsed=True):  # escaped: no markup
        assert "<" not in shown and ">" not in shown, shown
    for shown in visible_texts(message, parsed=False):  # as typed: no entity
        assert "&amp;" not in shown and "&lt;" not in shown and "&gt;" not in shown, shown
    for shown in visible_texts(message, parsed=True) + visible_texts(message, parsed=False):
        assert not DISGUISE.search(shown), shown
        assert "\u200d" not in shown.replace("👨\u200d👩\u200d👧", ""), shown
    divider = [b["type"] for b in message.blocks].index("divider")
    post = message.blocks[divider + 1]["text"]["text"]
    assert words(DISGUISE.sub("", text)) <= words(post)  # every word is still there
    if ZWNJ in text:
        assert "می" + ZWNJ + "خواهم" in post


def test_right_to_left_override_cannot_reverse_a_filename(
    sink: SlackSink, slack: SlackEmulator
) -> None:
    sink.deliver(alert(1, text=HOSTILE["rtl_override"]))
    post = json.dumps(slack.in_channel("C0SUPPORT")[0].blocks, ensure_ascii=False)
    assert "gpj.exe" in post  # shown in its true order, so it reads as what it is
    assert "\u202e" not in post and "\u2066" not in post


def test_a_40kb_post_is_cut_with_a_link_to_the_rest(sink: SlackSink, slack: SlackEmulator) -> None:
    text = ("The widget broke again and support never answered. " * 800)[:40_000]
    sink.deliver(alert(1, text=text))
    assert slack.rejected == []
    [message] = slack.in_channel("C0SUPPORT")
    sections = [b for b in message.blocks if b["type"] == "section" and "text" in b]
    assert len(sections[0]["text"]["text"]) <= 3000
    assert sections[0]["text"]["text"].endswith("…")
    assert len(message.text) <= 300
    notes = json.dumps([b for b in message.blocks if b["type"] == "context"])
    assert "40,000 characters" in notes
    buttons = message.blocks[-1]["elements"]
    assert buttons[0]["url"] == "https://x.com/dana/status/1"


def test_a_digest_is_one_valid_message(sink: SlackSink, slack: SlackEmulator) -> None:
    cases = [
        {"title": f"HIGH complaint {i}", "url": f"https://x.com/a/status/{i}", "case_id": i,
         "text": f"<!channel> broken {i}"}
        for i in range(25)
    ]  # fmt: skip
    digest = Alert(key="digest:support:1", kind="digest", channel="#support", title="",
                   extra={"alerts": cases, "total": 40})  # fmt: skip
    sink.deliver(digest)
    assert slack.rejected == []
    [message] = slack.in_channel("C0SUPPORT")
    assert message.text == "40 open cases waiting in #support"
    assert len(message.blocks) <= 50
    # each post's snippet is plain text, shown as typed (Slack parses nothing there)
    snippets = [e for b in message.blocks if b["type"] == "context" for e in b["elements"]]
    assert snippets[0] == {"type": "plain_text", "text": "<!channel> broken 0", "emoji": False}
    assert "RW-0" in message.blocks[1]["text"]["text"]


def test_a_digest_keeps_the_monitors_title(sink: SlackSink, slack: SlackEmulator) -> None:
    cases = [{"title": "t", "url": None, "case_id": 1, "text": "x"}]
    digest = Alert(key="d", kind="digest", channel="#pr", title="12 new complaints in #pr",
                   extra={"alerts": cases, "total": 12})  # fmt: skip
    sink.deliver(digest)
    [message] = slack.in_channel("#pr")
    assert message.blocks[0]["text"]["text"] == "12 new complaints in #pr"
    assert "<@" not in message.text


def test_a_clock_digest_pings_whom_its_notices_named(sink: SlackSink, slack: SlackEmulator) -> None:
    cases = [{"title": "Acknowledge breached", "url": None, "case_id": 1, "text": "x"}]
    digest = Alert(key="digest:clocks:#pr:1-9", kind="digest", channel="#pr",
                   title="9 clock warnings and breaches in #pr",
                   extra={"alerts": cases, "total": 9, "mentions": ["U0LENA001"]})  # fmt: skip
    sink.deliver(digest)
    assert slack.rejected == []
    [message] = slack.in_channel("#pr")
    assert message.text.startswith("<@U0LENA001> 9 clock warnings")
    assert message.blocks[1]["text"]["text"] == "<@U0LENA001>"


# -- the contract every Sink keeps ----------------------------------------------------------
@pytest.fixture(params=["console", "slack"])
def any_sink(request: pytest.FixtureRequest, slack: SlackEmulator, fake_time: FakeTime) -> Sink:
    if request.param == "console":
        return ConsoleSink(Console(file=io.StringIO(), width=100))
    return SlackSink(TOKEN, base_url=slack.api_url, clock=fake_time.clock, sleep=fake_time.sleep)


def test_sink_contract_deliver_then_update(any_sink: Sink) -> None:
    receipt = any_sink.deliver(alert(1, text=HOSTILE["mentions"]))
    assert receipt.channel and receipt.message_id
    again = any_sink.update(alert(1, channel=receipt.channel), receipt.message_id or "")
    assert again.channel == receipt.channel
    thread = any_sink.deliver(alert(2, key="t", thread_ts=receipt.message_id))
    assert thread.message_id and thread.message_id != receipt.message_id
