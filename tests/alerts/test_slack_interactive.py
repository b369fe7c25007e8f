"""The bolt app behind the buttons and ``/replywatch``: signed requests, real slack-bolt."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest
import requests
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.request import BoltRequest

from alerts.blocks import ACTIONS, OPEN_POST_ACTION_ID, action_id
from alerts.interactive import (
    ActionHandler,
    Mrkdwn,
    build_app,
    serve_http,
    socket_mode_handler,
    start_listening,
)
from monitor.errors import ReplywatchError
from tests.alerts.conftest import TOKEN
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack_requests import (
    block_action_payload,
    dispatch_signed,
    interaction_body,
    post_signed,
    sign_request,
    slash_command_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Recorder:
    """An ActionHandler that records calls and answers predictably (or fails on request)."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, int, str, str]] = []
        self.commands: list[tuple[str, str, str, str]] = []
        self.fail_with: BaseException | None = None
        self.command_reply: str = "2 open cases for support"
        self.called = threading.Event()

    def on_action(self, action: str, case_id: int, user_id: str, user_name: str) -> str:
        self.actions.append((action, case_id, user_id, user_name))
        self.called.set()
        if self.fail_with is not None:
            raise self.fail_with
        return f"Done: {action} on case {case_id} for @{user_name}"

    def on_command(self, text: str, user_id: str, user_name: str, channel_id: str) -> str:
        self.commands.append((text, user_id, user_name, channel_id))
        self.called.set()
        if self.fail_with is not None:
            raise self.fail_with
        return self.command_reply


class CaseClosed(ReplywatchError):
    pass


@pytest.fixture
def handler() -> Recorder:
    return Recorder()


@pytest.fixture
def app(slack: SlackEmulator, handler: Recorder) -> App:
    return build_app(token=TOKEN, signing_secret=SECRET, handler=handler, base_url=slack.api_url)


def click(app: App, slack: SlackEmulator, action: str, value: str = "42", tag: str = "r1") -> int:
    payload = block_action_payload(action, value, response_url=slack.response_url(tag))
    response = dispatch_signed(app, interaction_body(payload), SECRET)
    return int(response.status)


def reply(slack: SlackEmulator, tag: str = "r1") -> dict[str, object]:
    assert slack.wait_for(lambda: bool(slack.responses.get(tag))), "no answer to the user"
    [answer] = slack.responses[tag]
    return answer


def test_recorder_is_an_action_handler(handler: Recorder) -> None:
    assert isinstance(handler, ActionHandler)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_button_reaches_the_handler_and_answers_ephemerally(
    app: App, slack: SlackEmulator, handler: Recorder, action: str
) -> None:
    assert click(app, slack, action_id(action)) == 200
    answer = reply(slack)
    assert handler.actions == [(action, 42, "U0ANA", "ana")]
    assert answer["text"] == f"Done: {action} on case 42 for @ana"
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False


def test_ack_comes_before_a_slow_handler(app: App, slack: SlackEmulator) -> None:
    release = threading.Event()

    class Slow(Recorder):
        def on_action(self, action: str, case_id: int, user_id: str, user_name: str) -> str:
            release.wait(5)
            return "done"

    slow = build_app(token=TOKEN, signing_secret=SECRET, handler=Slow(), base_url=slack.api_url)
    started = time.monotonic()
    assert click(slow, slack, "rw_claim") == 200
    assert time.monotonic() - started < 2.0  # Slack gives up after 3 s
    release.set()
    assert reply(slack)["text"] == "done"


def test_a_burst_of_clicks_is_acknowledged_while_every_handler_is_busy(
    slack: SlackEmulator,
) -> None:
    # bolt runs handlers on five workers; an acknowledgement queued behind them would come
    # after Slack's 3 s (bolt then answers 404 and the user sees an error)
    release = threading.Event()

    class Busy(Recorder):
        def on_action(self, action: str, case_id: int, user_id: str, user_name: str) -> str:
            release.wait(10)
            return super().on_action(action, case_id, user_id, user_name)

    busy = Busy()
    bolt = build_app(token=TOKEN, signing_secret=SECRET, handler=busy, base_url=slack.api_url)
    tags = [f"b{i}" for i in range(8)]
    try:
        for i, tag in enumerate(tags):
            assert click(bolt, slack, "rw_claim", value=str(100 + i), tag=tag) == 200, tag
        assert all(not slack.responses.get(tag) for tag in tags)  # all still working
    finally:
        release.set()
    assert slack.wait_for(lambda: all(slack.responses.get(tag) for tag in tags))
    assert sorted(case for _, case, _, _ in busy.actions) == list(range(100, 108))


def test_a_bad_signature_is_rejected(app: App, slack: SlackEmulator, handler: Recorder) -> None:
    body = interaction_body(block_action_payload("rw_claim", "42"))
    assert dispatch_signed(app, body, "not-the-secret").status == 401
    tampered = body.replace("42", "43")
    headers: dict[str, str | Sequence[str]] = dict(sign_request(body, SECRET))

    assert app.dispatch(BoltRequest(body=tampered, headers=headers)).status == 401
    assert app.dispatch(BoltRequest(body=body, headers={})).status == 401
    assert handler.actions == []


def test_a_stale_timestamp_is_rejected(app: App, handler: Recorder) -> None:
    body = interaction_body(block_action_payload("rw_claim", "42"))
    stale = int(time.time()) - 6 * 60
    assert dispatch_signed(app, body, SECRET, timestamp=stale).status == 401
    assert handler.actions == []


def test_a_failing_handler_gets_a_polite_answer_and_a_logged_traceback(
    app: App, slack: SlackEmulator, handler: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    handler.fail_with = RuntimeError("database is on fire")
    with caplog.at_level(logging.ERROR, logger="alerts.interactive"):
        assert click(app, slack, "rw_resolve") == 200
        answer = reply(slack)
    # the case as Slack users know it (RW-42, on its message), not "case 42"
    assert str(answer["text"]).startswith(
        "Sorry, something went wrong with \u201cResolve\u201d on RW-42. "
    )
    assert "fire" not in str(answer["text"])
    assert any(r.exc_info and "database is on fire" in str(r.exc_info[1]) for r in caplog.records)
    handler.fail_with = None  # the app lives on
    assert click(app, slack, "rw_claim", tag="r2") == 200
    assert reply(slack, "r2")["text"] == "Done: claim on case 42 for @ana"


def test_an_expected_refusal_is_shown_to_the_user(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    handler.fail_with = CaseClosed("RW-42 was resolved by @bo")
    click(app, slack, "rw_claim")
    assert (
        reply(slack)["text"]
        == "Sorry, \u201cClaim\u201d on RW-42 didn't work: RW-42 was resolved by @bo"
    )
    # a button whose label is not a verb reads as the button the user pressed
    click(app, slack, "rw_not_complaint", tag="nc")
    assert reply(slack, "nc")["text"] == (
        "Sorry, \u201cNot a complaint\u201d on RW-42 didn't work: RW-42 was resolved by @bo"
    )


def test_an_unparseable_case_id_is_answered_not_crashed(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    assert click(app, slack, "rw_claim", value="not-a-number") == 200
    assert "out of date" in str(reply(slack)["text"])
    assert handler.actions == []


def test_without_a_response_url_the_answer_is_posted_ephemerally(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    body = interaction_body(block_action_payload("rw_escalate", "7", user_id="U0BO"))
    assert dispatch_signed(app, body, SECRET).status == 200
    assert slack.wait_for(lambda: bool(slack.ephemerals))
    [sent] = slack.ephemerals
    assert (sent["channel"], sent["user"]) == ("C0SUPPORT", "U0BO")
    assert sent["text"] == "Done: escalate on case 7 for @ana"


def test_the_open_post_link_button_is_only_acknowledged(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    assert click(app, slack, OPEN_POST_ACTION_ID, value="") == 200
    time.sleep(0.2)
    assert handler.actions == [] and slack.responses == {}


def test_the_slash_command_returns_the_handlers_text(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    body = slash_command_body("open support", response_url=slack.response_url("cmd"))
    assert dispatch_signed(app, body, SECRET).status == 200
    answer = reply(slack, "cmd")
    assert handler.commands == [("open support", "U0ANA", "ana", "C0SUPPORT")]
    assert answer["text"] == "2 open cases for support"
    assert answer["response_type"] == "ephemeral"


def test_handler_text_is_escaped_unless_marked_mrkdwn(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    handler.command_reply = "case 9: <!channel> refund now"
    dispatch_signed(app, slash_command_body("open", response_url=slack.response_url("a")), SECRET)
    assert reply(slack, "a")["text"] == "case 9: &lt;!channel&gt; refund now"
    handler.command_reply = Mrkdwn("*2 open* <https://x.com/a/status/1|case 9>")
    dispatch_signed(app, slash_command_body("open", response_url=slack.response_url("b")), SECRET)
    assert reply(slack, "b")["text"] == "*2 open* <https://x.com/a/status/1|case 9>"


def test_a_failing_command_is_answered_politely(
    app: App, slack: SlackEmulator, handler: Recorder
) -> None:
    handler.fail_with = KeyError("team")
    dispatch_signed(app, slash_command_body("open x", response_url=slack.response_url()), SECRET)
    assert str(reply(slack)["text"]).startswith("Sorry, something went wrong")


def test_http_mode_verifies_signatures_over_the_wire(app: App, handler: Recorder) -> None:
    server = serve_http(app, 0, host="127.0.0.1")
    try:
        body = slash_command_body("open support")
        assert post_signed(server.url, body, SECRET).status_code == 200
        assert handler.called.wait(5)
        assert post_signed(server.url, body, "guessed").status_code == 401
        stale = int(time.time()) - 3600
        assert post_signed(server.url, body, SECRET, timestamp=stale).status_code == 401
        assert requests.get(server.url.replace("/slack/events", "/"), timeout=5).status_code == 404
    finally:
        server.stop()
    assert handler.commands == [("open support", "U0ANA", "ana", "C0SUPPORT")]


def test_http_mode_refuses_an_app_without_a_signing_secret(
    slack: SlackEmulator, handler: Recorder
) -> None:
    unsigned = build_app(token=TOKEN, signing_secret=None, handler=handler, base_url=slack.api_url)
    with pytest.raises(ValueError, match="signing_secret"):
        serve_http(unsigned, 0, host="127.0.0.1")


def test_a_bad_bot_token_fails_at_build_time(slack: SlackEmulator, handler: Recorder) -> None:
    with pytest.raises(BoltError, match="invalid_auth"):
        build_app(
            token="xoxb-wrong", signing_secret=SECRET, handler=handler, base_url=slack.api_url
        )


def test_socket_mode_handler_is_built_not_connected(app: App) -> None:
    with pytest.raises(ValueError, match="xapp"):
        socket_mode_handler(app, "xoxb-not-an-app-token")
    handler = socket_mode_handler(app, "xapp-1-A0-123-abc")
    try:
        assert handler.app is app
        assert handler.client.app_token == "xapp-1-A0-123-abc"
        assert not handler.client.is_connected()
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def test_start_listening_over_http_and_stop(app: App, handler: Recorder) -> None:
    stop = start_listening(app, mode="http", http_port=0, host="127.0.0.1")
    stop()
    with pytest.raises(ValueError, match="app_token"):
        start_listening(app, mode="socket", app_token=None)
    with pytest.raises(ValueError, match="unknown"):
        start_listening(app, mode="carrier-pigeon")  # type: ignore[arg-type]
