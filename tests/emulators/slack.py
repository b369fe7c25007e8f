"""A local Slack emulator (Web API and ``response_url``), driven by the real slack-sdk and bolt.

Point a client at it with ``WebClient(token=..., base_url=emulator.api_url)`` (or
``SlackSink(token, base_url=emulator.api_url)``). It speaks Slack's JSON for ``auth.test``,
``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``conversations.info``,
``conversations.list``, ``conversations.history`` and ``conversations.replies``, plus the
``response_url`` that bolt's ``respond`` posts to (:meth:`SlackEmulator.response_url`).

As Slack does, it:

* checks the bearer token (``not_authed`` / ``invalid_auth``, HTTP 200 with ``ok: false``);
* resolves channel names (``#support``, ``support``) for ``chat.postMessage`` and answers with
  the id; ``chat.update`` and the history methods need the id (``channel_not_found``);
* validates Block Kit (:func:`validate_blocks`) and answers ``invalid_blocks`` with Slack-style
  messages, keeping the rejected request in :attr:`SlackEmulator.rejected`; text over 40,000
  characters is ``msg_too_long``;
* stores ``metadata`` and returns it from the history methods only with
  ``include_all_metadata``.

Faults come from the base class; :meth:`SlackEmulator.rate_limit` queues a 429 with
``Retry-After`` (seconds, as slack-sdk reads it).

For interactivity, :mod:`tests.emulators.slack_requests` builds and signs what Slack posts.

Between tests, :meth:`SlackEmulator.reset` clears everything (restarting the server costs half
a second); :attr:`SlackEmulator.refuse` makes a method answer an error such as
``missing_scope``; :meth:`SlackEmulator.wait_for` waits for bolt's background listeners.
"""

from __future__ import annotations

import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.http import Emulator, Fault, Request, Response
from tests.emulators.slack_blocks import validate_blocks

__all__ = [
    "DEFAULT_CHANNELS",
    "SlackEmulator",
    "SlackMessage",
    "validate_blocks",
]

DEFAULT_CHANNELS: Mapping[str, str] = {
    "support": "C0SUPPORT",
    "pr": "C0PR",
    "general": "C0GENERAL",
}
TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"

_METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "conversations.info",
    "conversations.list",
    "conversations.history",
    "conversations.replies",
)


@dataclass
class SlackMessage:
    """A message as the emulator holds it; ``edits`` lists earlier (text, blocks) versions."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str = BOT_USER_ID
    edits: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def as_json(self, *, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": "B0BOT",
            "text": self.text,
            "ts": self.ts,
        }
        if self.blocks:
            out["blocks"] = self.blocks
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if with_metadata and self.metadata:
            out["metadata"] = self.metadata
        return out


# -- Block Kit validation ------------------------------------------------------------------
class SlackEmulator(Emulator):
    """The Slack Web API in a thread. ``with SlackEmulator() as slack:`` then use
    ``slack.api_url``. State a test reads: :attr:`messages` (channel id -> list of
    :class:`SlackMessage`, oldest first), :attr:`updates` (every ``chat.update``, in order),
    :attr:`ephemerals`, :attr:`responses` (``response_url`` tag -> posted payloads) and
    :attr:`rejected` (requests refused for ``invalid_blocks`` / ``msg_too_long``)."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        channels: Mapping[str, str] = DEFAULT_CHANNELS,
        member_of: set[str] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.channels = dict(channels)  # name -> id
        #: Channel ids the bot is in (``not_in_channel`` elsewhere); ``None``: all.
        self.member_of = member_of
        self.messages: dict[str, list[SlackMessage]] = {cid: [] for cid in self.channels.values()}
        self.updates: list[SlackMessage] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.rejected: list[dict[str, Any]] = []
        #: Method -> Slack error code it answers with (e.g. ``{"conversations.history":
        #: "missing_scope"}``), for a token without that scope.
        self.refuse: dict[str, str] = {}
        self._state = threading.Condition()
        self._seq = itertools.count(1)
        self._base_s = int(time.time())
        for method in _METHODS:
            self.route("POST", "/api/" + re.escape(method), self._api(method))
        self.route("POST", r"/response/(?P<tag>[\w.-]+)", self._response)

    def __enter__(self) -> SlackEmulator:
        self.start()
        return self

    # -- for tests -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """``base_url`` for ``WebClient`` / ``SlackSink`` (ends with ``/``)."""
        return f"{self.url}/api/"

    def response_url(self, tag: str = "r1") -> str:
        """A ``response_url`` to put in payloads; what is posted there lands in
        ``responses[tag]``."""
        return f"{self.url}/response/{tag}"

    def reset(self) -> None:
        """Forget every message, request and queued fault (a clean slate for the next test
        without restarting the server, which takes half a second)."""
        self.clear_faults()
        with self._state:
            self.requests.clear()
            self.messages = {cid: [] for cid in self.channels.values()}
            self.updates.clear()
            self.ephemerals.clear()
            self.responses.clear()
            self.rejected.clear()
            self.refuse.clear()

    def channel_id(self, channel: str) -> str:
        return self.channels.get(channel.lstrip("#"), channel)

    def in_channel(self, channel: str) -> list[SlackMessage]:
        with self._state:
            return list(self.messages.get(self.channel_id(channel), []))

    def all_messages(self) -> list[SlackMessage]:
        with self._state:
            return [m for msgs in self.messages.values() for m in msgs]

    def rate_limit(self, retry_after_s: int = 1, *, times: int = 1, method: str = "") -> None:
        """The next ``times`` calls (of ``method``, or any) get 429 + ``Retry-After``."""
        self.inject(
            Fault.rate_limited(
                {"Retry-After": str(retry_after_s)},
                body={"ok": False, "error": "ratelimited"},
                path=rf"/api/{method}" if method else r"/api/",
            ),
            times=times,
        )

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        """Wait until ``predicate()`` holds (it is re-checked on every request served)."""
        deadline = time.monotonic() + timeout_s
        with self._state:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._state.wait(min(left, 0.05))
        return True

    # -- plumbing --------------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{self._base_s}.{next(self._seq):06d}"

    @staticmethod
    def _args(request: Request) -> dict[str, Any]:
        args: dict[str, Any] = {k: v[0] for k, v in request.query.items()}
        ctype = request.headers.get("content-type", "")
        if "json" in ctype and request.body:
            args.update(request.json())
        else:
            args.update({k: v[0] for k, v in request.form.items()})
        for name in ("blocks", "metadata"):
            if isinstance(args.get(name), str):
                try:
                    args[name] = json.loads(args[name])
                except ValueError:
                    args[name] = "<unparseable>"
        return args

    def _authorised(self, request: Request, args: Mapping[str, Any]) -> str | None:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else str(args.get("token") or "")
        if not token:
            return "not_authed"
        if not hmac.compare_digest(str(token), self.token):
            return "invalid_auth"
        return None

    def _api(self, method: str) -> Callable[[Request], Response]:
        handler: Callable[[Mapping[str, Any]], Response] = getattr(
            self, "_" + method.replace(".", "_")
        )

        def serve(request: Request) -> Response:
            args = self._args(request)
            error = self._authorised(request, args)
            if error is not None:
                return _fail(error)
            if method in self.refuse:
                return _fail(self.refuse[method])
            with self._state:
                try:
                    return handler(args)
                finally:
                    self._state.notify_all()

        return serve

    def _resolve(self, value: Any, *, names: bool) -> str | None:
        channel = str(value or "")
        if channel in self.messages:
            return channel
        if names and channel.lstrip("#") in self.channels:
            return self.channels[channel.lstrip("#")]
        return None

    def _check_message(self, args: Mapping[str, Any], method: str) -> Response | None:
        blocks = args.get("blocks")
        text = args.get("text")
        if not blocks and not text:
            return _fail("no_text")
        if isinstance(text, str) and len(text) > 40000:
            self.rejected.append({"method": method, "error": "msg_too_long", "args": dict(args)})
            return _fail("msg_too_long")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                self.rejected.append({"method": method, "errors": errors, "args": dict(args)})
                return _fail(
                    "invalid_blocks", errors=errors, response_metadata={"messages": errors}
                )
        return None

    # -- methods ---------------------------------------------------------------------------
    def _auth_test(self, args: Mapping[str, Any]) -> Response:
        return _ok(
            url="https://replywatch-test.slack.com/",
            team="replywatch test",
            user="replywatch",
            team_id=TEAM_ID,
            user_id=BOT_USER_ID,
            bot_id="B0BOT",
            is_enterprise_install=False,
        )

    def _chat_postMessage(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=True)
        if channel is None:
            return _fail("channel_not_found")
        if self.member_of is not None and channel not in self.member_of:
            return _fail("not_in_channel")
        refused = self._check_message(args, "chat.postMessage")
        if refused is not None:
            return refused
        message = SlackMessage(
            channel=channel,
            ts=self._next_ts(),
            text=str(args.get("text") or ""),
            blocks=list(args.get("blocks") or []),
            thread_ts=args.get("thread_ts") or None,
            metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
        )
        self.messages[channel].append(message)
        return _ok(channel=channel, ts=message.ts, message=message.as_json(with_metadata=False))

    def _find(self, channel: str, ts: Any) -> SlackMessage | None:
        return next((m for m in self.messages[channel] if m.ts == ts), None)

    def _chat_update(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=False)
        if channel is None:
            return _fail("channel_not_found")
        message = self._find(channel, args.get("ts"))
        if message is None:
            return _fail("message_not_found")
        refused = self._check_message(args, "chat.update")
        if refused is not None:
            return refused
        message.edits.append((message.text, message.blocks))
        message.text = str(args.get("text") or "")
        message.blocks = list(args.get("blocks") or [])
        if isinstance(args.get("metadata"), dict):
            message.metadata = args["metadata"]
        self.updates.append(
            SlackMessage(channel, message.ts, message.text, message.blocks, message.thread_ts)
        )
        return _ok(
            channel=channel,
            ts=message.ts,
            text=message.text,
            message=message.as_json(with_metadata=False),
        )

    def _chat_postEphemeral(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=True)
        if channel is None:
            return _fail("channel_not_found")
        if not args.get("user"):
            return _fail("user_not_found")
        refused = self._check_message(args, "chat.postEphemeral")
        if refused is not None:
            return refused
        ts = self._next_ts()
        self.ephemerals.append({**args, "channel": channel, "message_ts": ts})
        return _ok(message_ts=ts)

    def _channel_json(self, cid: str) -> dict[str, Any]:
        name = next(n for n, i in self.channels.items() if i == cid)
        return {
            "id": cid,
            "name": name,
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": self.member_of is None or cid in self.member_of,
        }

    def _conversations_info(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=False)
        if channel is None:
            return _fail("channel_not_found")
        return _ok(channel=self._channel_json(channel))

    def _conversations_list(self, args: Mapping[str, Any]) -> Response:
        ids = sorted(self.messages)
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(args.get("cursor") or 0)
        page = ids[start : start + limit]
        nxt = str(start + limit) if start + limit < len(ids) else ""
        return _ok(
            channels=[self._channel_json(c) for c in page],
            response_metadata={"next_cursor": nxt},
        )

    def _conversations_history(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=False)
        if channel is None:
            return _fail("channel_not_found")
        meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(args.get("limit") or 100)
        top = [m for m in self.messages[channel] if not m.thread_ts or m.thread_ts == m.ts]
        newest = list(reversed(top))[:limit]
        return _ok(
            messages=[m.as_json(with_metadata=meta) for m in newest],
            has_more=len(top) > limit,
        )

    def _conversations_replies(self, args: Mapping[str, Any]) -> Response:
        channel = self._resolve(args.get("channel"), names=False)
        if channel is None:
            return _fail("channel_not_found")
        parent = self._find(channel, args.get("ts"))
        if parent is None:
            return _fail("thread_not_found")
        meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        thread = [parent] + [m for m in self.messages[channel] if m.thread_ts == parent.ts]
        return _ok(messages=[m.as_json(with_metadata=meta) for m in thread], has_more=False)

    def _response(self, request: Request) -> Response:
        assert request.match is not None
        payload = request.json()
        tag = request.match.group("tag")
        with self._state:
            try:
                if isinstance(payload, dict) and payload.get("blocks") is not None:
                    errors = validate_blocks(payload["blocks"])
                    if errors:
                        self.rejected.append({"method": "response_url", "errors": errors})
                        return Response(400, "invalid_blocks", {"Content-Type": "text/plain"})
                self.responses.setdefault(tag, []).append(payload)
                return Response(200, "ok", {"Content-Type": "text/plain"})
            finally:
                self._state.notify_all()


def _ok(**body: Any) -> Response:
    return Response(200, {"ok": True, **body})


def _fail(error: str, **body: Any) -> Response:
    return Response(200, {"ok": False, "error": error, **body})
