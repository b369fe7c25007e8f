"""A digest on the console: a channel's backlog as one panel that reads at a glance. Each case
is a row (RW-N, title, owner, link), up to the Slack digest's limit, then how many more; the
cases come from ``extra["alerts"]`` as the Slack sink reads them, cleaned like any post."""

from __future__ import annotations

import io
import re
from typing import Any

from rich.console import Console

from alerts.base import Alert
from alerts.blocks import DIGEST_LIMIT
from alerts.console import ConsoleSink


def shown(alert: Alert, *, width: int = 100) -> str:
    screen = io.StringIO()
    ConsoleSink(Console(file=screen, width=width, color_system=None)).deliver(alert)
    return screen.getvalue()


def digest(items: list[dict[str, Any]], *, total: int | None = None, title: str = "") -> Alert:
    """A digest as :func:`monitor.delivery.collapse_backlog` writes it (its text included)."""
    return Alert(
        key="digest:#support:1-99",
        kind="digest",
        channel="#support",
        title=title or f"{total or len(items)} new complaints in #support",
        text="\n".join(f"RW-{i['case_id']} {i['title']} {i['url']}" for i in items),
        extra={"alerts": items, "total": total or len(items), "mentions": []},
    )


def complaint(n: int, owner: str = "") -> dict[str, Any]:
    return {
        "case_id": n,
        "title": f"HIGH complaint about NovaBrew on x {n}",
        "url": f"https://x.com/c{n}/status/{1000 + n}",
        "text": f"my machine {n} broke",
        "fields": {"Owner": owner} if owner else {},
    }


def rows(out: str) -> list[str]:
    """The panel's lines without its border."""
    return [line.strip("│ ").rstrip() for line in out.splitlines()[1:-1]]


def test_a_long_digest_lists_its_first_cases_and_counts_the_rest() -> None:
    items = [complaint(n, owner="Ana" if n == 2 else "") for n in range(1, 21)]
    out = shown(digest(items))
    lines = rows(out)
    assert "20 new complaints in #support" in out.splitlines()[0]
    numbered = [line for line in lines if re.match(r"RW-\d+ ", line)]
    assert [line.split()[0] for line in numbered] == [f"RW-{n}" for n in range(1, 16)]
    assert numbered[0] == "RW-1  HIGH complaint about NovaBrew on x 1"
    assert numbered[1] == "RW-2  HIGH complaint about NovaBrew on x 2 · Ana"  # its owner
    # each case's link on the line below it
    assert lines[lines.index(numbered[0]) + 1].strip() == "https://x.com/c1/status/1001"
    assert "RW-16" not in out and "c16/" not in out
    assert lines[-1].strip() == "… and 5 more not shown: `replywatch cases` lists them"
    assert len(lines) == 2 * DIGEST_LIMIT + 1  # no third line per case, no post text


def test_a_digest_counts_what_it_holds_beyond_its_items() -> None:
    out = shown(digest([complaint(1), complaint(2)], total=40))
    assert "… and 38 more not shown" in out
    assert "… and" not in shown(digest([complaint(1), complaint(2)]))  # all shown: no tail


def test_a_clock_digest_names_each_case_once() -> None:
    breach = {
        "case_id": 7,
        "title": "BREACH: RW-7 acknowledgement overdue (was due Fri 20:10 GMT)",
        "url": "https://x.com/c7/status/1007",
        "fields": {"Case": "RW-7", "Clock": "acknowledge"},
    }
    out = shown(digest([breach], title="1 clock warnings and breaches in #support"))
    assert re.search(r"RW-7 +BREACH: acknowledgement overdue \(was due Fri 20:10 GMT\)", out)
    assert out.count("RW-7") == 1


def test_a_digests_titles_and_links_are_cleaned() -> None:
    hostile = {
        "case_id": 3,
        "title": "HIGH \x1b[2Jcomplaint\u202e1000$\u202c [bold]x[/bold]\nabout NovaBrew",
        "url": "https://x.com/m/status/1\x1b[0m",
        "fields": {"Owner": "Bob\x1b[8m"},
    }
    screen = io.StringIO()
    sink = ConsoleSink(Console(file=screen, width=120, force_terminal=True, color_system=None))
    sink.deliver(digest([hostile]))
    out = screen.getvalue()
    assert "\x1b" not in out and "\u202e" not in out
    # one line per title (a newline in it does not fake a row), markup shown as written
    assert "RW-3 HIGH [2Jcomplaint1000$ [bold]x[/bold] about NovaBrew · Bob[8m" in out
    assert "https://x.com/m/status/1" in out


def test_a_long_link_is_folded_whole_and_a_huge_one_cut() -> None:
    long_url = "https://x.com/" + "u" * 150 + "/status/1"
    lines = rows(shown(digest([{**complaint(1), "url": long_url}]), width=80))
    assert "".join(line.strip() for line in lines[1:]) == long_url  # folded, not cropped
    item = {**complaint(1), "title": "t" * 5000, "url": "https://x.com/" + "u" * 5000}
    squeezed = re.sub(r"\s", "", "".join(rows(shown(digest([item]), width=200))))
    assert squeezed == "RW-1" + "t" * 198 + "…" + "https://x.com/" + "u" * 284 + "…"


def test_a_digest_without_its_cases_shows_its_text() -> None:
    bare = Alert(key="d", kind="digest", channel="#pr", title="3 new", text="RW-1 a\nRW-2 b")
    lines = rows(shown(bare))
    assert lines[0].startswith("Cases RW-1 a") and lines[1].strip() == "RW-2 b"
