"""The console sink (the demo's, and a daemon's without Slack) shows what people wrote as text:
no console markup, and no terminal control either. A post's escape sequences must not clear
the operator's screen, colour a fake line or plant a hyperlink; a bidi override must not show
``$0001`` as ``$1000``."""

from __future__ import annotations

import io
import re

import pytest
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


def shown(alert: Alert, *, width: int = 100) -> str:
    screen = io.StringIO()
    ConsoleSink(Console(file=screen, width=width, color_system=None)).deliver(alert)
    return screen.getvalue()


def squeezed(text: str) -> str:
    """The panel's characters less its border and all spacing: wrapped text reads whole."""
    return re.sub(r"[\s│╭╮╰╯─]", "", text)


BREACH = (
    "BREACH: RW-7 acknowledgement and first response overdue"
    " (was due Mon 10:15 GMT and Mon 14:00 GMT)"
)


def test_a_case_alert_shows_its_post_and_is_footed_with_its_number_first() -> None:
    out = shown(
        Alert(
            key="a",
            kind="alert",
            channel="#support",
            title="HIGH",
            text="broken",
            fields={"Case": "RW-4"},
            case_id=4,
        )
    )
    assert re.search(r"│ Post +broken", out)
    assert "RW-4 · #support" in out.splitlines()[-1]


def test_a_thread_line_without_text_has_no_empty_row_and_keeps_its_number() -> None:
    """A line in a case's thread ("Answered by @NovaBrewHelp") is a title alone: no empty
    "Post" row, and a footer the short panel is made wide enough for."""
    line = Alert(
        key="t",
        kind="thread",
        channel="#exec-office",
        title="Claimed by Ana",
        case_id=1234,
        thread_ts="1.2",
    )
    out = shown(line)
    assert out.splitlines() == [
        "╭───── Claimed by Ana ─────╮",
        "╰─ RW-1234 · #exec-office ─╯",
    ]
    # on a screen too narrow for the footer, the channel is cut, not the number
    assert "RW-1234" in shown(line, width=16)


def test_a_thread_lines_text_is_shown_not_called_a_post() -> None:
    line = Alert(
        key="t",
        kind="thread",
        channel="#support",
        title="Answered by @NovaBrewHelp",
        text="Sorry\x1b[2J! We've sent\u202e you a DM",
        case_id=4,
        thread_ts="1.2",
    )
    out = shown(line)
    assert "We've sent you a DM" in out and "\x1b" not in out and "\u202e" not in out
    assert "Post" not in out


def test_a_notice_has_no_case_in_its_footer() -> None:
    notice = Alert(
        key="c",
        kind="notice",
        channel="#sl-pr",
        title="Negative spike about NovaBrew: 7 posts in 1h",
        text="@a (5000 followers, x) https://x.com/a/1",
        fields={"People": "5"},
    )
    out = shown(notice)
    assert "None" not in out and "case" not in out.lower()
    assert out.splitlines()[-1].replace("─", "").strip() == "╰ #sl-pr ╯"
    assert "Post" not in out and re.search(r"│ Details +@a \(5000", out)


@pytest.mark.parametrize("width", [60, 100, 140])
def test_a_long_breach_title_is_shown_whole_and_its_text_labelled(width: int) -> None:
    breach = Alert(
        key="breach:7:acknowledge",
        kind="escalation",
        channel="#support",
        title=BREACH,
        text="Lena: RW-7 (high) missed its standards. Owner: Ana.",
        fields={"Case": "RW-7", "Clock": "acknowledge, first_response"},
        case_id=7,
    )
    out = shown(breach, width=width)
    assert squeezed(BREACH) in squeezed(out)
    assert all(len(line) <= width for line in out.splitlines())
    assert "Post" not in out and re.search(r"│ Message +Lena: RW-7", out)
    assert "RW-7 · #support" in out.splitlines()[-1]


def test_an_update_shows_the_new_state_without_printing_the_post_again() -> None:
    """The console cannot edit the case's panel: an update prints its state again, but the
    post (printed with the case) is left out, as each claim, answer and breach updates it."""
    screen = io.StringIO()
    sink = ConsoleSink(Console(file=screen, width=100, color_system=None))
    case = Alert(
        key="alert:4",
        kind="alert",
        channel="#support",
        title="HIGH complaint about NovaBrew on x",
        text="my Pod X2 leaks everywhere",
        fields={"Status": "open"},
        url="https://x.com/a/status/4",
        case_id=4,
    )
    sink.deliver(case)
    first = screen.getvalue()
    sink.update(
        Alert(
            key="alert:4",
            kind="alert_update",
            channel="#support",
            title=case.title,
            text=case.text,
            fields={"Status": "acknowledged", "Owner": "Ana"},
            url=case.url,
            case_id=4,
        ),
        "alert:4",
    )
    again = screen.getvalue()[len(first) :]
    assert "leaks everywhere" in first and "leaks everywhere" not in again
    assert "acknowledged" in again and "Ana" in again
    assert "https://x.com/a/status/4" in again and "RW-4 · #support" in again
