"""The console sink: alerts as readable rich panels on a terminal (and a line in the log).

It is the fake beside the Slack sink, and what the demo uses. Post text is rendered as plain
text (``rich.text.Text``), never as console markup, so ``[bold]`` in a post stays literal, and
cleaned as for Slack (:func:`~alerts.blocks.clean_text`): a post's escape sequences cannot clear
the operator's screen or fake a line, nor a bidi override reverse ``$0001`` into ``$1000``.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alerts.base import Alert, Receipt
from alerts.blocks import clean_text

__all__ = ["ConsoleSink"]

log = logging.getLogger(__name__)

_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "NORMAL": "yellow", "LOW": "cyan"}
_MAX_TEXT = 1200


class ConsoleSink:
    name = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=False, soft_wrap=False)
        self.delivered: list[Alert] = []

    def deliver(self, alert: Alert) -> Receipt:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for name, value in alert.fields.items():
            grid.add_row(clean_text(name), Text(clean_text(str(value))))
        text = clean_text(alert.text)
        body = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + " …"
        grid.add_row("Post", Text(body))
        if alert.url:
            grid.add_row("Link", Text(clean_text(alert.url)))
        level = alert.title.split(" ", 1)[0]
        self.console.print(
            Panel(
                grid,
                title=Text(clean_text(alert.title), style=_STYLE.get(level, "bold")),
                subtitle=Text(clean_text(f"{alert.channel} · case {alert.case_id}")),
                expand=False,
            )
        )
        log.info("alert %s -> %s: %s", alert.key, alert.channel, alert.title)
        self.delivered.append(alert)
        return Receipt(channel=alert.channel, message_id=alert.key)

    def update(self, alert: Alert, message_id: str) -> Receipt:
        """A terminal cannot edit what it printed: print the new state as a new panel."""
        return self.deliver(alert)
