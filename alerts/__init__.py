"""Alerts: where replywatch tells people (Slack, the console), behind the :class:`Sink` seam."""

from alerts.base import Alert, Receipt, Sink
from alerts.blocks import Rendered, escape_text, render_alert, render_digest
from alerts.console import ConsoleSink
from alerts.interactive import (
    ActionHandler,
    Mrkdwn,
    build_app,
    serve_http,
    start_listening,
    start_socket_mode,
)
from alerts.slack import SlackSink

__all__ = [
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
