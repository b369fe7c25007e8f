"""The Slack sink: alerts as Block Kit messages through slack-sdk's ``WebClient``.

slack-sdk's errors and quirks stop here and leave as :class:`monitor.errors.DeliveryError`;
the client itself is built by :mod:`alerts.slack_client`.

What can go wrong, and what happens:

* **Rate limits.** Slack allows about one message per second per channel. The sink spaces
  its own ``chat.postMessage`` calls per channel (``per_channel_interval_s``, waiting through
  the injected ``sleep``), and a 429 is retried by slack-sdk's ``RateLimitErrorRetryHandler``
  after the ``Retry-After`` the server sent (up to ``max_retries`` times, and only when that
  wait is at most ``max_retry_after_s``). Still limited afterwards, or asked to wait longer:
  ``DeliveryError`` with ``retryable=True`` and the server's ``retry_after_s``, so the
  outbox waits it out instead of the delivery loop (and the row's lease) sleeping.
* **5xx and dropped connections** are retried by slack-sdk's server-error and
  connection-error handlers with exponential backoff; exhausted: ``retryable=True``.
* **Timeouts are not retried here**: Slack may have posted the message before the answer was
  lost. The sink raises ``retryable=True`` and remembers the key as *uncertain*; the next
  ``deliver`` of that key first looks for a message carrying the key in its metadata
  (:meth:`SlackSink.find_posted`) and returns it instead of posting twice. After a restart the
  monitor can ask for the same check with ``alert.extra["resend"] = True``.
* **Permanent errors** (``invalid_auth``, ``channel_not_found``, ``not_in_channel``,
  ``invalid_blocks``, ``message_not_found``, ...): ``retryable=False``. Messages carry
  Slack's error code, the method and the channel, never the token.

Every message carries ``metadata`` ``{"event_type": "replywatch_alert", "event_payload":
{"key": <outbox key>, "case_id": ...}}``: that is how a message is found again by its key.
Finding it needs the ``channels:history`` (and ``groups:history``) scope; without it the
check is skipped with a warning and the alert is posted.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from http.client import HTTPException
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from alerts.base import Alert, Receipt
from alerts.blocks import Rendered, render_alert, render_digest
from alerts.slack_client import make_client, retry_after_s
from monitor.errors import DeliveryError

__all__ = ["METADATA_EVENT", "SlackSink"]

log = logging.getLogger(__name__)

METADATA_EVENT = "replywatch_alert"
#: Slack error codes that retrying cannot fix. Anything else with HTTP 2xx/4xx is also
#: treated as permanent unless listed in _RETRYABLE.
_RETRYABLE = {
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}
#: What a person does about the permanent errors met most (appended to the message).
_FIXES = {
    "not_in_channel": "invite the app to the channel (/invite @<app name>)",
    "channel_not_found": "check the channel named in the config, or invite the app to it",
    "is_archived": "unarchive the channel or name another in the config",
    "invalid_auth": "check the Slack bot token named in the config",
    "not_authed": "set the Slack bot token named in the config",
    "token_revoked": "reinstall the app and set its new bot token",
    "account_inactive": "reinstall the app and set its new bot token",
    "missing_scope": "add the scope Slack names to the app and reinstall it",
}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_UNCERTAIN_KEPT = 10_000


class SlackSink:
    """Posts alerts to Slack (``chat.postMessage``) and rewrites them (``chat.update``).

    ``token`` is the bot token (``xoxb-...``); ``base_url`` points the client elsewhere (a
    proxy, or ``SlackEmulator.api_url`` in tests; it must end with ``/``, which is added if
    missing). ``timeout_s`` bounds each HTTP request. ``clock`` (monotonic seconds) and
    ``sleep`` drive the per-channel spacing and retry waits; tests pass a fake pair.

    ``deliver(alert)`` posts ``render_alert(alert)`` (or ``render_digest`` when
    ``alert.kind == "digest"``, with the cases in ``alert.extra["alerts"]``) to
    ``alert.channel`` (an id like ``C0123`` or a name like ``#support``), as a thread reply
    when ``alert.thread_ts`` is set, and returns ``Receipt(channel=<channel id>,
    message_id=<ts>)``. ``update(alert, message_id)`` rewrites the message with that ts in
    ``alert.channel`` (an id, or a name this sink has posted to or can look up).

    Thread-safe: several delivery threads may share one sink.
    """

    name = "slack"

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout_s: float = 15.0,
        per_channel_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        max_retry_after_s: float = 30.0,
    ) -> None:
        if not token:
            raise ValueError("a Slack bot token is required")
        self._token = token
        self._clock = clock
        self._sleep = sleep
        self._interval_s = max(0.0, per_channel_interval_s)
        self.client = make_client(
            token,
            base_url=base_url,
            timeout_s=timeout_s,
            max_retries=max_retries,
            max_retry_after_s=max_retry_after_s,
            sleep=sleep,
        )
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._ids: dict[str, str] = {}
        self._uncertain: OrderedDict[str, None] = OrderedDict()

    # -- Sink -----------------------------------------------------------------------------
    def deliver(self, alert: Alert) -> Receipt:
        rendered = self.render(alert)
        channel = self._ids.get(_name(alert.channel), alert.channel)
        if alert.key in self._uncertain or alert.extra.get("resend"):
            found = self.find_posted(alert)
            if found is not None:
                log.info("alert %s was already posted as %s; not posting again", alert.key, found)
                self._uncertain.pop(alert.key, None)
                return found
        self._wait_turn(channel)
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": rendered.text,
            "blocks": rendered.blocks,
            "metadata": self._metadata(alert),
            "unfurl_links": False,
            "unfurl_media": False,
            "link_names": False,
        }
        if alert.thread_ts:
            kwargs["thread_ts"] = alert.thread_ts
        with self._translated(alert, "chat.postMessage", channel):
            response = self.client.chat_postMessage(**kwargs)
        receipt = Receipt(channel=str(response["channel"]), message_id=str(response["ts"]))
        self._remember(alert.channel, receipt.channel)
        self._uncertain.pop(alert.key, None)
        return receipt

    def update(self, alert: Alert, message_id: str) -> Receipt:
        rendered = self.render(alert)
        channel = self.channel_id(alert.channel, outbox_key=alert.key)
        with self._translated(alert, "chat.update", channel):
            response = self.client.chat_update(
                channel=channel,
                ts=message_id,
                text=rendered.text,
                blocks=rendered.blocks,
                metadata=self._metadata(alert),
            )
        return Receipt(channel=str(response["channel"]), message_id=str(response["ts"]))

    # -- helpers the monitor may use -----------------------------------------------------
    @staticmethod
    def render(alert: Alert) -> Rendered:
        """What :meth:`deliver` would send for ``alert`` (pure; for previews and tests)."""
        if alert.kind == "digest":
            return render_digest(
                alert.channel,
                list(alert.extra.get("alerts") or ()),
                total=alert.extra.get("total"),
                title=alert.title or None,
                ping=alert.extra.get("mentions"),
            )
        return render_alert(alert)

    def find_posted(self, alert: Alert) -> Receipt | None:
        """The message this sink already posted for ``alert.key``, if Slack has it.

        Looks through the channel's latest 200 messages (or the thread's replies when
        ``alert.thread_ts`` is set) for our metadata; ``None`` when it is not there.

        When the lookup cannot be done at all (no ``channels:history`` scope, the channel
        cannot be resolved) it logs a warning and returns ``None``: posting twice beats never
        posting. When it fails for a passing reason (429, 5xx, a timeout) it raises a
        retryable ``DeliveryError``, so the caller tries again later instead of guessing.
        """
        try:
            channel = self.channel_id(alert.channel, outbox_key=alert.key)
            with self._translated(None, "find_posted", channel, outbox_key=alert.key):
                if alert.thread_ts:
                    response = self.client.conversations_replies(
                        channel=channel, ts=alert.thread_ts, include_all_metadata=True, limit=200
                    )
                else:
                    response = self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=200
                    )
        except DeliveryError as exc:
            if exc.retryable:
                raise
            log.warning("cannot check whether %s was already posted: %s", alert.key, exc)
            return None
        for message in response.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and payload.get("key") == alert.key:
                return Receipt(channel=channel, message_id=str(message["ts"]))
        return None

    def channel_id(self, channel: str, *, outbox_key: str = "-") -> str:
        """``C0123`` as is; ``#support`` or ``support`` from what this sink has posted, else
        from ``conversations.list`` (needs ``channels:read``). ``chat.update`` and history
        lookups need ids; ``chat.postMessage`` accepts names."""
        if _CHANNEL_ID.match(channel):
            return channel
        name = _name(channel)
        if name in self._ids:
            return self._ids[name]
        with self._translated(None, "conversations.list", channel, outbox_key=outbox_key):
            for page in self._conversation_pages():
                for conv in page.get("channels") or []:
                    if conv.get("name") and conv.get("id"):
                        self._ids[str(conv["name"])] = str(conv["id"])
        if name in self._ids:
            return self._ids[name]
        raise DeliveryError(outbox_key, f"slack: channel {channel!r} not found", retryable=False)

    # -- internals ------------------------------------------------------------------------
    def _conversation_pages(self) -> Iterator[Any]:
        cursor: str | None = None
        for _ in range(50):
            page = self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            yield page
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    @staticmethod
    def _metadata(alert: Alert) -> dict[str, Any]:
        payload: dict[str, Any] = {"key": alert.key, "kind": alert.kind}
        if alert.case_id is not None:
            payload["case_id"] = alert.case_id
        return {"event_type": METADATA_EVENT, "event_payload": payload}

    def _remember(self, channel: str, channel_id: str) -> None:
        """Learn a name's id; a slot reserved under the name now counts for the id."""
        if _CHANNEL_ID.match(channel):
            return
        with self._lock:
            self._ids[_name(channel)] = channel_id
            by_name = self._next_slot.pop("#" + _name(channel), None)
            if by_name is not None:
                self._next_slot[channel_id] = max(by_name, self._next_slot.get(channel_id, 0.0))

    def _wait_turn(self, channel: str) -> None:
        """Reserve this channel's next posting slot, then sleep until it comes."""
        with self._lock:
            if _CHANNEL_ID.match(channel):
                key = channel
            else:
                key = self._ids.get(_name(channel)) or "#" + _name(channel)
            now = self._clock()
            slot = max(now, self._next_slot.get(key, now))
            self._next_slot[key] = slot + self._interval_s
        if slot > now:
            self._sleep(slot - now)

    def _mark_uncertain(self, key: str) -> None:
        with self._lock:
            self._uncertain[key] = None
            self._uncertain.move_to_end(key)
            while len(self._uncertain) > _UNCERTAIN_KEPT:
                self._uncertain.popitem(last=False)

    def _translated(
        self, alert: Alert | None, method: str, channel: str, *, outbox_key: str | None = None
    ) -> _Translate:
        return _Translate(self, alert, method, channel, outbox_key)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "xoxb-***") if self._token else text


def _name(channel: str) -> str:
    return channel.lstrip("#")


class _Translate:
    """``with`` block that turns slack-sdk and socket errors into ``DeliveryError``."""

    def __init__(
        self,
        sink: SlackSink,
        alert: Alert | None,
        method: str,
        channel: str,
        outbox_key: str | None,
    ) -> None:
        self.sink = sink
        self.alert = alert
        self.method = method
        self.channel = channel
        self.key = outbox_key or (alert.key if alert else "-")

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc is None or isinstance(exc, DeliveryError):
            return
        where = f"slack {self.method} to {self.channel}"
        if isinstance(exc, SlackApiError):
            status = getattr(exc.response, "status_code", 0) or 0
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            code = str(data.get("error") or f"HTTP {status}")
            retryable = status == 429 or status >= 500 or code in _RETRYABLE
            detail = (
                code if status in (0, 200) or code.startswith("HTTP") else f"{code} (HTTP {status})"
            )
            if code == "invalid_blocks":
                detail += f" {json.dumps(data.get('errors') or [])[:500]}"
            if status == 429:
                detail += ": rate limited, retries exhausted"
            if code in _FIXES and not retryable:
                detail += f"; {_FIXES[code]}"
            if status >= 500:
                self._uncertain()
            raise DeliveryError(
                self.key,
                self.sink._scrub(f"{where}: {detail}"),
                retryable=retryable,
                retry_after_s=retry_after_s(exc.response) if status == 429 else None,
            ) from exc
        if isinstance(exc, (TimeoutError, OSError, HTTPException, ValueError, SlackClientError)):
            # The request may have reached Slack: a retry must first look for the message.
            self._uncertain()
            reason = type(exc).__name__
            text = str(exc)
            message = f"{where}: {reason}" + (f": {text[:200]}" if text else "")
            raise DeliveryError(self.key, self.sink._scrub(message), retryable=True) from exc

    def _uncertain(self) -> None:
        if self.alert is not None and self.method == "chat.postMessage":
            self.sink._mark_uncertain(self.alert.key)
