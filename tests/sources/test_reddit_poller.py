"""The Reddit source under the real poller and store (SQLite), against the emulator.

The same promise as ``test_reddit.py``, end to end: pages committed with their cursor, a
fault mid-paging stores nothing and keeps the cursor, the next poll resumes without fetching
a committed page again, and the brand's own comments land as responses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest_reddit import BRAND, emulator, make_source
from sqlalchemy import select

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.models import Post
from monitor.settings import Settings
from tests.emulators.http import Fault
from tests.emulators.reddit import RedditEmulator
from tests.fakes import KeywordClassifier

__all__ = ["emulator"]  # the fixture, imported from conftest_reddit

LISTINGS = r"^/(r|user|message)/"

SETTINGS = {
    "brand_accounts": {"reddit": [{"handle": BRAND, "team": "support"}]},
    "entities": [
        {"id": "acme", "kind": "brand", "name": "Acme", "terms": ["Acme"], "team": "support"}
    ],
    "sources": [{"name": "placeholder", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}


@pytest.fixture
def app(tmp_path: Path, emulator: RedditEmulator) -> Iterator[App]:
    settings = Settings.model_validate(
        {**SETTINGS, "database_url": f"sqlite:///{tmp_path / 'replywatch.db'}"}
    )
    application = App.build(
        settings, clock=emulator.clock, sink=ConsoleSink(), classifier=KeywordClassifier()
    )
    yield application
    application.close()


def stored(app: App) -> dict[str, bool]:
    with app.sessions() as s:
        return {p.native_id: p.is_brand_response for p in s.scalars(select(Post))}


def timeline(emu: RedditEmulator, n: int) -> set[str]:
    names = set()
    for i in range(n):
        emu.advance(1)
        post = emu.add_submission("acme", f"Acme kettle {i} leaks")
        names |= {post, emu.add_comment(post, f"my Acme kettle leaks too ({i})")}
        if i % 3 == 0:
            names.add(emu.add_comment(post, "Sorry! We have sent you a DM.", author=BRAND))
    return names


def test_poller_stores_pages_with_their_cursor(app: App, emulator: RedditEmulator) -> None:
    source = make_source(emulator, page_size=3)
    expected = timeline(emulator, 2)
    assert app.poll(source).error is None
    expected |= timeline(emulator, 8)
    emulator.advance(60)
    report = app.poll(source)
    assert report.error is None
    assert report.batches > len(source.stream_keys)  # more than one page for some streams
    assert report.result.repeats == 0
    assert set(stored(app)) == expected


def test_poller_resumes_after_a_failure_without_refetching_committed_pages(
    app: App, emulator: RedditEmulator
) -> None:
    source = make_source(emulator, page_size=3)
    expected = timeline(emulator, 1)
    app.poll(source)
    expected |= timeline(emulator, 8)
    emulator.advance(60)

    # Two pages go through, the third request of the poll fails.
    emulator.inject_later(Fault.server_error(503, path=LISTINGS), after=2)
    report = app.poll(source)
    assert report.error is not None and "503" in report.error
    assert report.batches == 2
    partial = set(stored(app))
    assert partial and partial < expected

    assert report.waiting_until is not None
    emulator.advance((report.waiting_until - emulator.clock()).total_seconds() + 1)
    again = app.poll(source)
    assert again.error is None
    assert again.result.repeats == 0, "committed pages are not fetched again"
    rows = stored(app)
    assert set(rows) == expected
    assert {n for n, brand in rows.items() if brand} == {
        t["data"]["name"] for t in emulator.things if t["data"]["author"] == BRAND
    }


def test_poller_waits_for_the_reddit_reset_on_429(app: App, emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    emulator.inject(emulator.rate_limit_fault(42, path=LISTINGS))
    report = app.poll(source)
    assert report.error is not None and report.waiting_until is not None
    assert (report.waiting_until - emulator.clock()).total_seconds() == 42

    emulator.advance(41)
    assert app.poll(source).batches == 0  # still waiting, no request made
    emulator.advance(1)
    expected = timeline(emulator, 2)
    assert app.poll(source).error is None
    assert set(stored(app)) == expected


def test_a_private_subreddit_is_reported_and_the_brand_replies_still_land(
    app: App, emulator: RedditEmulator
) -> None:
    source = make_source(emulator, subreddits=("acme", "acmefans"))
    app.poll(source)
    emulator.private.add("acmefans")
    emulator.advance(5)
    post = emulator.add_submission("elsewhere", "kettle question")
    reply = emulator.add_comment(post, "Sorry! We have sent you a DM.", author=BRAND)
    report = app.poll(source)
    assert report.error is None and report.waiting_until is None
    # the restricted search, new and comments all name r/acmefans
    assert len(report.stream_errors) == 3 and report.problems == report.stream_errors
    assert all("fix the source's subreddits" in e for e in report.problems)
    assert stored(app).get(reply) is True  # a response: its case's clocks can stop
    assert app.poller.state(source).last_error == "; ".join(report.stream_errors)
