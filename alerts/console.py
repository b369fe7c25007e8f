"""The console sink: alerts as readable rich panels on a terminal (and a line in the log).

It is the fake beside the Slack sink, and what the demo uses. Post text is rendered as plain
text (``rich.text.Text``), never as console markup, so ``[bold]`` in a post stays literal, and
cleaned as for Slack (:func:`~alerts.blocks.clean_text`): a post's escape sequences cannot clear
the operator's screen or fake a line, nor a bidi override reverse ``$0001`` into ``$1000``.

A panel is titled with the alert's title and footed with its case (``RW-7 · #support``, or the
channel alone for a notice, which has no case). The footer leads with the case so that a
narrow terminal crops the channel, never the number, and the panel is made wide enough for
it. A title too long for the panel's border (rich crops a border title to one line) is shown
as the panel's first line instead, where it wraps. A thread line ("Answered by @X") shows
the reply it quotes, cleaned the same way, as its "Reply" row, and its link where it has one.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alerts.base import Alert, Receipt
from alerts.blocks import DIGEST_LIMIT, clean_text

__all__ = ["ConsoleSink"]

log = logging.getLogger(__name__)

_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "NORMAL": "yellow", "LOW": "cyan"}
_MAX_TEXT = 1200
#: What an alert's ``text`` is, by ``alert.kind``: only a case's alert carries the post.
_TEXT_LABEL = {
    "alert": "Post",  # a case's first message (the outbox kind)
    "alert_update": "Post",  # the same message rewritten after a state change
    "case": "Post",
    "escalation": "Message",  # a warning or breach, addressed to its owner or lead
    "digest": "Cases",
    "notice": "Details",  # a crisis notice's loudest voices, a quiet account's reasons
    "thread": "Reply",  # a thread line quotes the brand's answer or the acknowledgement sent
}
#: Columns a panel's border takes beside its title or footer: a corner, a line and a space
#: on each side.
_BORDER = 6


class ConsoleSink:
    name = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=False, soft_wrap=False)
        self.delivered: list[Alert] = []

    def deliver(self, alert: Alert) -> Receipt:
        title = clean_text(alert.title)
        style = _STYLE.get(title.split(" ", 1)[0], "bold")
        footer = clean_text(alert.channel)
        if alert.case_id is not None:
            footer = f"RW-{alert.case_id} · {footer}"
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for name, value in alert.fields.items():
            grid.add_row(clean_text(name), Text(clean_text(str(value))))
        cases = _digest_rows(alert)
        for label, cell in cases:
            grid.add_row(label, cell)
        # a digest's text lists its cases as plain lines: shown above, a row each, instead
        text = "" if cases else clean_text(alert.text).strip()
        if text:  # a thread line that quotes nothing has none: no empty row
            body = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + " …"
            grid.add_row(_TEXT_LABEL.get(alert.kind, "Text"), Text(body))
        if alert.url:
            grid.add_row("Link", Text(clean_text(alert.url)))
        # an empty grid measures as wide as the screen: a bare thread line has no body
        rows: list[RenderableType] = [grid] if grid.row_count else []
        heading = Text(title, style=style)
        # rich crops a border title to one line: a title too long for it opens the body instead
        in_border = cell_len(title) <= self.console.width - _BORDER
        if not in_border:
            rows.insert(0, heading)
        panel = Panel(
            Group(*rows),
            title=heading if in_border else None,
            subtitle=Text(footer),
            expand=False,
        )
        # rich sizes a panel by its body and title, not its footer: widen it to fit the footer
        width = self.console.measure(panel).maximum
        if width < cell_len(footer) + _BORDER:
            panel.width, panel.expand = cell_len(footer) + _BORDER, True
        self.console.print(panel)
        log.info("alert %s -> %s: %s", alert.key, alert.channel, alert.title)
        self.delivered.append(alert)
        return Receipt(channel=alert.channel, message_id=alert.key)

    def update(self, alert: Alert, message_id: str) -> Receipt:
        """A terminal cannot edit what it printed: print the case's new state (status, owner,
        clocks) as a new panel, without the post it printed already, which a case's every
        claim, answer and breach would otherwise print again. The link stays, to find it."""
        return self.deliver(replace(alert, text=""))


#: Longest a digest's case title or link is shown (a title is a line, not the post).
_DIGEST_TITLE = 200
_DIGEST_URL = 300


def _digest_rows(alert: Alert) -> list[tuple[str, Text]]:
    """A digest's cases (``extra["alerts"]``, as the Slack sink reads them), a row each: its
    number, then its title (without the number again: a breach's title names it), its owner
    and its link below. Up to :data:`~alerts.blocks.DIGEST_LIMIT`, as in Slack, then "… and N
    more": a backlog of 140 breaches is a screen, not 140 panels. Empty for any other alert,
    and for a digest without its cases (its ``text`` is shown then)."""
    items = alert.extra.get("alerts") if alert.kind == "digest" else None
    if not isinstance(items, list | tuple) or not items:
        return []
    rows = []
    for item in items[:DIGEST_LIMIT]:
        item = item if isinstance(item, dict) else {}
        case_id = item.get("case_id")
        case = "" if case_id is None else f"RW-{case_id}"
        title = " ".join(clean_text(str(item.get("title") or "")).split())
        if case:
            title = title.replace(f"{case} ", "", 1)
        owner = " ".join(clean_text(str((item.get("fields") or {}).get("Owner") or "")).split())
        url = clean_text(str(item.get("url") or "")).strip()
        # folded, not cropped: a link longer than the terminal is still whole to copy
        cell = Text(_cut(title or case or "Alert", _DIGEST_TITLE), overflow="fold")
        if owner:
            cell.append(f" · {_cut(owner, 100)}")
        if url:
            cell.append("\n" + _cut(url, _DIGEST_URL), style="dim")
        rows.append((case or "·", cell))
    total = max(int(alert.extra.get("total") or 0), len(items))
    if total > len(rows):
        more = f"… and {total - len(rows)} more not shown: `replywatch cases` lists them"
        rows.append(("", Text(more, style="italic")))
    return rows


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 2] + " …"
