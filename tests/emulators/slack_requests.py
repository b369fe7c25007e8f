"""What Slack posts to an app: signed interaction and slash-command requests.

:func:`sign_request` signs a body as Slack does (``v0`` HMAC-SHA256 over
``v0:{timestamp}:{body}``), :func:`block_action_payload` / :func:`interaction_body` and
:func:`slash_command_body` build the bodies, :func:`dispatch_signed` hands a signed request to a
bolt app in-process and :func:`post_signed` sends one over HTTP (to
``alerts.interactive.serve_http``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from tests.emulators.slack import BOT_USER_ID, TEAM_ID

__all__ = [
    "block_action_payload",
    "dispatch_signed",
    "interaction_body",
    "post_signed",
    "sign_request",
    "slash_command_body",
]


def sign_request(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with ``body``: ``x-slack-request-timestamp`` and the ``v0``
    signature (HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed by the signing secret)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": f"v0={digest}",
    }


def block_action_payload(
    action_id: str,
    value: str,
    *,
    user_id: str = "U0ANA",
    user_name: str = "ana",
    channel: str = "C0SUPPORT",
    message_ts: str = "1700000000.000100",
    response_url: str | None = None,
    block_id: str = "rw_actions",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A ``block_actions`` payload for one button click, shaped as Slack sends it."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": "A0REPLYWATCH",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1111.2222.abcd",
        "team": {"id": team_id, "domain": "replywatch-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "support"},
        "message": {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "text": "alert"},
        "state": {"values": {}},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "action_ts": f"{int(time.time())}.000200",
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def interaction_body(payload: Mapping[str, Any]) -> str:
    """The form body Slack posts for interactions: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)})


def slash_command_body(
    text: str,
    *,
    command: str = "/replywatch",
    user_id: str = "U0ANA",
    user_name: str = "ana",
    channel_id: str = "C0SUPPORT",
    channel_name: str = "support",
    response_url: str = "",
    team_id: str = TEAM_ID,
) -> str:
    """The form body Slack posts for a slash command."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "replywatch-test",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0REPLYWATCH",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1111.2222.abcd",
        }
    )


def dispatch_signed(app: Any, body: str, secret: str, *, timestamp: int | None = None) -> Any:
    """Hand ``body``, signed with ``secret``, to a bolt ``App`` as its HTTP adapter would;
    returns bolt's ``BoltResponse`` (``status``, ``body``)."""
    from slack_bolt.request import BoltRequest

    headers: dict[str, str | Sequence[str]] = dict(sign_request(body, secret, timestamp))
    return app.dispatch(BoltRequest(body=body, headers=headers))


def post_signed(
    url: str, body: str, secret: str, *, timestamp: int | None = None, timeout_s: float = 5.0
) -> Any:
    """POST ``body`` signed with ``secret`` to a running endpoint, as Slack would; returns
    the ``requests.Response``."""
    import requests

    headers = sign_request(body, secret, timestamp)
    return requests.post(url, data=body.encode(), headers=headers, timeout=timeout_s)
