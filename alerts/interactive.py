"""Buttons and the ``/replywatch`` command: a slack-bolt app in front of an :class:`ActionHandler`.

This is the only module that imports slack_bolt. It knows Slack's payloads; the handler (the
monitor side) knows cases. Each click and command is acknowledged on the thread that received
it, before any work (Slack shows the user an error when the answer takes over 3 seconds); the
handler then runs as a bolt *lazy listener* on bolt's worker pool, and the clicker gets an
ephemeral confirmation through the payload's ``response_url`` (falling back to
``chat.postEphemeral``). Acknowledging on the worker pool instead would queue a burst of
clicks' acknowledgements behind slow handlers (five workers): the sixth would miss Slack's
deadline. A handler
that raises never takes the app down: a :class:`~monitor.errors.ReplywatchError` is shown to
the user as its message (those never carry secrets), anything else is logged with its
traceback and the user sees a polite apology.

Text a handler returns is *plain text*: it is cleaned and escaped before it is sent, so a
case title or post excerpt inside it cannot mention ``@channel`` or smuggle a link. A
handler that wants Slack formatting (links to cases, bold) returns :class:`Mrkdwn` instead,
and must escape whatever users wrote with :func:`alerts.blocks.escape_text` itself.

Two ways to receive Slack's requests:

* HTTP (``serve_http``): Slack posts to ``http://host:port/slack/events``; bolt verifies
  the ``x-slack-signature`` HMAC and rejects stale timestamps (over 5 minutes) with 401.
* Socket Mode (``start_socket_mode``): bolt holds a websocket opened with the app-level token
  (``xapp-...``); no public URL, no signing secret needed.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, Literal, Protocol, runtime_checkable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from alerts.blocks import ACTIONS, OPEN_POST_ACTION_ID, action_id, escape_text
from alerts.slack_client import SlackClient, make_client
from monitor.errors import ReplywatchError

__all__ = [
    "COMMAND",
    "ActionHandler",
    "HttpServer",
    "Mrkdwn",
    "build_app",
    "serve_http",
    "socket_mode_handler",
    "start_listening",
    "start_socket_mode",
]

log = logging.getLogger(__name__)

COMMAND = "/replywatch"
_REPLY_CHARS = 39_000
_UNVERIFIED: weakref.WeakSet[App] = weakref.WeakSet()


class Mrkdwn(str):
    """Handler output that is already Slack ``mrkdwn`` (links, bold), sent as is.

    Whoever builds it must escape user-written parts with :func:`alerts.blocks.escape_text`.
    """

    __slots__ = ()


@runtime_checkable
class ActionHandler(Protocol):
    """What the monitor implements to act on clicks and commands. Both methods run on a bolt
    worker thread (not the scheduler's) and should finish in seconds; each opens and
    commits its own database session.

    ``on_action`` gets the action name (a key of :data:`alerts.blocks.ACTIONS`: ``claim``,
    ``responded``, ``resolve``, ``not_complaint``, ``escalate``, ``reopen``, ``send_ack``), the
    case id from the button, and the clicker's Slack id and handle; it returns a short
    confirmation ("You own RW-42 now.", a case named as Slack users see it). Refusals ("RW-42
    is already resolved.") are return values, or a raised ``ReplywatchError`` whose message
    the user sees.

    ``on_command`` gets what followed ``/replywatch`` (e.g. ``"support"``), the user's Slack
    id and handle, and the channel, and returns the text to show (e.g. a team's open cases
    and clocks).
    """

    def on_action(self, action: str, case_id: int, user_id: str, user_name: str) -> str: ...

    def on_command(self, text: str, user_id: str, user_name: str, channel_id: str) -> str: ...


def build_app(
    *,
    token: str,
    signing_secret: str | None,
    handler: ActionHandler,
    client: SlackClient | None = None,
    base_url: str | None = None,
    command: str = COMMAND,
) -> App:
    """A bolt ``App`` wired to ``handler``.

    ``token`` is the bot token; bolt checks it once with ``auth.test`` here, so a wrong token
    fails now (``slack_bolt.error.BoltError``), not at the first click. ``client`` replaces
    the client built by :func:`alerts.slack_client.make_client` (its token wins); ``base_url``
    points the built one at an emulator. ``signing_secret`` is required for HTTP mode;
    ``None`` turns request verification off, which only Socket Mode may do (``serve_http``
    refuses such an app).
    """
    if client is None:
        client = make_client(token, base_url=base_url, timeout_s=10.0, max_retries=2)
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        # acknowledgements run on the receiving thread; the handlers are lazy listeners
        process_before_response=True,
        name="replywatch",
    )
    if not signing_secret:
        _UNVERIFIED.add(app)
    for name in ACTIONS:
        app.action(action_id(name))(ack=_ack_only, lazy=[_action_listener(handler, name)])
    app.action(OPEN_POST_ACTION_ID)(_ack_only)
    app.command(command)(ack=_ack_only, lazy=[_command_listener(handler)])
    return app


def _ack_only(ack: Any) -> None:
    ack()


def _action_listener(handler: ActionHandler, name: str) -> Callable[..., None]:
    # the button as the user saw it, quoted: "not a complaint" or "mark responded" read
    # wrongly as verbs ("I couldn't not a complaint RW-42")
    label = f"\u201c{ACTIONS[name]}\u201d"

    def listener(body: dict[str, Any], action: dict[str, Any], respond: Any,
                 client: SlackClient) -> None:  # fmt: skip
        user = body.get("user") or {}
        user_id = str(user.get("id") or "")
        user_name = str(user.get("username") or user.get("name") or user_id)
        try:
            case_id = int(str(action.get("value")))
        except ValueError:
            _reply(body, respond, client, "This button is out of date; open the case again.")
            return
        try:
            text: str = handler.on_action(name, case_id, user_id, user_name)
        except ReplywatchError as exc:
            log.info("%s on RW-%s by %s refused: %s", name, case_id, user_id, exc)
            text = f"Sorry, {label} on RW-{case_id} didn't work: {exc}"
        except Exception:
            log.exception("%s on RW-%s by %s failed", name, case_id, user_id)
            text = (
                f"Sorry, something went wrong with {label} on RW-{case_id}. "
                "It has been logged; please try again in a moment."
            )
        _reply(body, respond, client, text)

    listener.__name__ = f"on_{name}"
    return listener


def _command_listener(handler: ActionHandler) -> Callable[..., None]:
    def on_command(command: dict[str, Any], respond: Any, client: SlackClient) -> None:
        text = str(command.get("text") or "").strip()
        user_id = str(command.get("user_id") or "")
        user_name = str(command.get("user_name") or user_id)
        channel_id = str(command.get("channel_id") or "")
        try:
            out: str = handler.on_command(text, user_id, user_name, channel_id)
        except ReplywatchError as exc:
            log.info("/replywatch %r by %s refused: %s", text, user_id, exc)
            out = f"Sorry, that didn't work: {exc}"
        except Exception:
            log.exception("/replywatch %r by %s failed", text, user_id)
            out = "Sorry, something went wrong. It has been logged; please try again soon."
        _reply(command, respond, client, out or "Nothing to show.")

    return on_command


def _reply(body: dict[str, Any], respond: Any, client: SlackClient, text: str) -> None:
    """Ephemeral answer to the user who clicked or typed; never raises."""
    if isinstance(text, Mrkdwn):
        out = str(text)[:_REPLY_CHARS]
    else:
        out = escape_text(str(text))[:_REPLY_CHARS]
    if body.get("response_url"):
        try:
            respond(text=out, response_type="ephemeral", replace_original=False)
            return
        except Exception as exc:  # an expired response_url, a network error
            log.info("response_url answer failed (%s); trying chat.postEphemeral", exc)
    user = body.get("user") or {}
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    channel = body.get("channel") or {}
    channel_id = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
    if not (user_id and channel_id):
        log.warning("no way to answer the user: no response_url, user or channel")
        return
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=out)
    except Exception:
        log.exception("could not answer %s in %s", user_id, channel_id)


# -- HTTP mode ----------------------------------------------------------------------------
class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http: " + format, *args)


@dataclass
class HttpServer:
    """A running HTTP endpoint for Slack; ``stop()`` shuts it down."""

    server: WSGIServer
    thread: threading.Thread
    path: str

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{self.port}{self.path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_http(
    app: App, port: int, *, host: str = "0.0.0.0", path: str = "/slack/events"
) -> HttpServer:
    """Serve ``app`` for Slack's HTTP mode in a background thread (``port=0``: any free one).

    Set the app's Request URL (interactivity and the slash command) to
    ``https://<public host>/slack/events`` behind a TLS proxy. Every request is verified with
    the signing secret; a bad signature or a timestamp older than 5 minutes gets 401.
    """
    if app in _UNVERIFIED:
        raise ValueError("serve_http needs an app built with a signing_secret")
    wsgi = SlackRequestHandler(app, path=path)
    server = make_server(host, port, wsgi, _ThreadingWSGIServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
    thread.start()
    log.info("serving Slack requests on %s:%s%s", host, server.server_address[1], path)
    return HttpServer(server=server, thread=thread, path=path)


# -- Socket Mode --------------------------------------------------------------------------
def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    """bolt's Socket Mode handler for ``app``, not yet connected. Its constructor starts
    background threads: ``close()`` it when done."""
    if not app_token.startswith("xapp-"):
        raise ValueError("Socket Mode needs an app-level token (xapp-...)")
    return SocketModeHandler(app, app_token)


def start_socket_mode(app: App, app_token: str) -> SocketModeHandler:
    """Connect ``app`` to Slack over Socket Mode and return at once (the websocket lives on
    bolt's threads, reconnecting by itself). Call ``close()`` on the result to stop."""
    handler = socket_mode_handler(app, app_token)
    try:
        handler.connect()
    except BaseException:
        handler.close()  # its threads started in the constructor; a retry makes new ones
        raise
    return handler


def start_listening(
    app: App,
    *,
    mode: Literal["socket", "http"],
    app_token: str | None = None,
    http_port: int = 3000,
    host: str = "0.0.0.0",
) -> Callable[[], None]:
    """Start receiving clicks and commands the way the settings say (``alerts.slack.mode``)
    and return a function that stops it (call it on shutdown; it never raises).

    ``socket`` needs ``app_token`` (``xapp-...``); ``http`` needs an app built with a
    signing secret. Both raise ``ValueError`` when what they need is missing.
    """
    if mode == "socket":
        if not app_token:
            raise ValueError("Socket Mode needs alerts.slack.app_token (xapp-...)")
        handler = start_socket_mode(app, app_token)

        def stop_socket() -> None:
            try:
                handler.close()
            except Exception:
                log.exception("closing the Socket Mode connection failed")

        return stop_socket
    if mode == "http":
        server = serve_http(app, http_port, host=host)

        def stop_http() -> None:
            try:
                server.stop()
            except Exception:
                log.exception("stopping the Slack HTTP endpoint failed")

        return stop_http
    raise ValueError(f"unknown Slack mode {mode!r}: socket or http")
