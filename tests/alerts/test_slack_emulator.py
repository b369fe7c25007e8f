"""The Slack emulator keeps Slack's rules, so the sink's tests mean something."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import alerts
from tests.alerts.conftest import TOKEN
from tests.emulators.slack import SlackEmulator, validate_blocks


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as err:
        call()
    return str(err.value.response["error"])


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def test_alerts_exports_are_pinned() -> None:
    assert sorted(alerts.__all__) == [
        "ActionHandler",
        "Alert",
        "ConsoleSink",
        "Mrkdwn",
        "Receipt",
        "Rendered",
        "Sink",
        "SlackSink",
        "build_app",
        "escape_text",
        "render_alert",
        "render_digest",
        "serve_http",
        "start_listening",
        "start_socket_mode",
    ]


def test_tokens_are_checked(slack: SlackEmulator) -> None:
    assert error_of(lambda: WebClient(token="xoxb-nope", base_url=slack.api_url).auth_test()) == (
        "invalid_auth"
    )
    assert error_of(lambda: WebClient(base_url=slack.api_url).auth_test()) == "not_authed"
    assert WebClient(token=TOKEN, base_url=slack.api_url).auth_test()["user_id"] == "U0BOT"


def test_names_resolve_for_posting_but_not_for_updating(
    client: WebClient, slack: SlackEmulator
) -> None:
    posted = client.chat_postMessage(channel="#support", text="hi")
    assert posted["channel"] == "C0SUPPORT"
    assert client.chat_postMessage(channel="support", text="hi")["channel"] == "C0SUPPORT"
    ts = posted["ts"]
    assert error_of(lambda: client.chat_update(channel="#support", ts=ts, text="x")) == (
        "channel_not_found"
    )
    client.chat_update(channel="C0SUPPORT", ts=ts, text="edited")
    assert slack.in_channel("#support")[0].text == "edited"
    assert error_of(lambda: client.chat_postMessage(channel="#nope", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.api_call("chat.postMessage", json={"channel": "C0PR"})) == (
        "no_text"
    )


def test_block_kit_limits_are_enforced(client: WebClient, slack: SlackEmulator) -> None:
    too_many = [{"type": "divider"}] * 51
    assert error_of(lambda: client.chat_postMessage(channel="C0PR", text="t", blocks=too_many)) == (
        "invalid_blocks"
    )
    header = [{"type": "header", "text": plain("h" * 151)}]
    assert error_of(lambda: client.chat_postMessage(channel="C0PR", text="t", blocks=header)) == (
        "invalid_blocks"
    )
    assert (
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
        in (slack.rejected[-1]["errors"])
    )
    assert error_of(lambda: client.chat_postMessage(channel="C0PR", text="x" * 40001)) == (
        "msg_too_long"
    )
    assert slack.in_channel("C0PR") == []


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001"),
        ([{"type": "section", "fields": [plain("f")] * 11}], "1 to 10"),
        ([{"type": "section", "fields": [plain("f" * 2001)]}], "2001"),
        ([{"type": "section"}], "text or fields"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "plain_text"),
        ([{"type": "section", "text": {"type": "plain_text", "text": ""}}], "more than 0"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}}], "unsupp"),
        (
            [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": plain("b" * 76)}]}],
            "76",
        ),
        (
            [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": plain("b"), "value": "v" * 2001}]}],
            "2001",
        ),
        (
            [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": plain("b")},
                {"type": "button", "action_id": "a", "text": plain("c")}]}],
            "duplicate action_id",
        ),
        ([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}], "dupl"),
        ([{"type": "context", "elements": [plain("c")] * 11}], "1 to 10"),
        ([{"type": "video"}], "unsupported block type"),
    ],
)  # fmt: skip
def test_validate_blocks_catches(blocks: list[dict[str, Any]], message: str) -> None:
    errors = validate_blocks(blocks)
    assert errors and any(message in e for e in errors), errors


def test_history_returns_metadata_only_when_asked(client: WebClient) -> None:
    meta = {"event_type": "replywatch_alert", "event_payload": {"key": "k"}}
    parent = client.chat_postMessage(channel="C0PR", text="a", metadata=meta)["ts"]
    client.chat_postMessage(channel="C0PR", text="b", thread_ts=parent, metadata=meta)
    client.chat_postMessage(channel="C0PR", text="c")
    plain_history = client.conversations_history(channel="C0PR")["messages"]
    assert [m["text"] for m in plain_history] == ["c", "a"]  # newest first, no thread replies
    assert all("metadata" not in m for m in plain_history)
    with_meta = client.conversations_history(channel="C0PR", include_all_metadata=True)
    assert with_meta["messages"][1]["metadata"] == meta
    thread = client.conversations_replies(channel="C0PR", ts=parent, include_all_metadata=True)
    assert [m["text"] for m in thread["messages"]] == ["a", "b"]


def test_conversations_list_pages(client: WebClient) -> None:
    first = client.conversations_list(limit=2)
    assert len(first["channels"]) == 2
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_list(limit=2, cursor=cursor)
    names = {c["name"] for c in first["channels"] + second["channels"]}
    assert names == {"support", "pr", "general"}
    assert second["response_metadata"]["next_cursor"] == ""
    assert client.conversations_info(channel="C0PR")["channel"]["name"] == "pr"


def test_rate_limit_answers_429_with_retry_after(slack: SlackEmulator) -> None:
    bare = WebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    slack.rate_limit(7, method="chat.postMessage")
    with pytest.raises(SlackApiError) as err:
        bare.chat_postMessage(channel="C0PR", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
