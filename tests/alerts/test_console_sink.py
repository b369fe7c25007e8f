"""The console sink (the demo's, and a daemon's without Slack) shows what people wrote as text:
no console markup, and no terminal control either. A post's escape sequences must not clear
the operator's screen, colour a fake line or plant a hyperlink; a bidi override must not show
``$0001`` as ``$1000``."""

from __future__ import annotations

import io

from rich.console import Console

from alerts.base import Alert
from alerts.console import ConsoleSink

HOSTILE = (
    "\x1b[2J\x1b[31mFAKE SYSTEM MESSAGE\x1b[0m "
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ "
    "refund \u202e0001$\u202c [bold]not markup[/bold] سفارش‌ها"
)


def test_a_posts_terminal_controls_are_not_passed_to_the_terminal() -> None:
    screen = io.StringIO()
    # a terminal that rich would colour: only rich's own sequences may reach it
    sink = ConsoleSink(Console(file=screen, width=200, force_terminal=True, color_system=None))
    sink.deliver(
        Alert(
            key="alert:x:1",
            kind="case",
            channel="#support",
            title="HIGH complaint about NovaBrew on x",
            text=HOSTILE,
            fields={"Author": "@mallory\x1b[8m", "Case": "RW-1"},
            url="https://x.com/mallory/status/1\x1b[0m",
            case_id=1,
        )
    )
    shown = screen.getvalue()
    assert "\x1b" not in shown and "\u202e" not in shown and "\u202c" not in shown
    assert "FAKE SYSTEM MESSAGE" in shown  # the words stay, as text
    assert "refund 0001$" in shown
    assert "[bold]not markup[/bold]" in shown
    assert "سفارش\u200cها" in shown  # Persian's zero-width non-joiner is kept
