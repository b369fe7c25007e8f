"""Versions of an edited post read out of order: the newest stored stays, on SQLite and
PostgreSQL.

Found in review: X pages newest first, so a later edit can come on page 1 and an earlier one
on page 2 (or later, through a retweet made before the last edit). The pipeline applied
whichever came last: the post, its verdict and its case went back to words the author took
back. Each post now keeps the version stored (``posts.version``), and an older one is a
repeat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.models import Case, Post
from monitor.settings import Settings
from sources.base import SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier, make_post
from tests.test_pipeline import SETTINGS


@pytest.fixture
def source() -> MemorySource:
    return MemorySource("mem", platform="x", page_size=1)  # a page per post


@pytest.fixture
def app(database_url: str, clock: FakeClock, source: MemorySource) -> Iterator[App]:
    settings = Settings.model_validate({**SETTINGS, "database_url": database_url})
    application = App.build(
        settings, clock=clock, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier()
    )
    yield application
    application.close()


def version(native_id: str, text: str, v: str | None, minutes: int) -> SourcePost:
    """A version of ``native_id`` as X gives it: ``v`` its own id (``None``: the first
    version), which its link names."""
    url = f"https://x.com/customer/status/{v or native_id}"
    return make_post(native_id, text, minutes=minutes, version=v, url=url)


Stored = tuple[str, str | None, str | None, float | None, list[tuple[str, Any]]]


def stored(app: App, native_id: str) -> Stored:
    """The post's text, version, link and complaint score, and its case's events."""
    with app.sessions() as s:
        post = s.scalars(select(Post).where(Post.native_id == native_id)).one()
        case = s.scalars(select(Case).where(Case.post_id == post.id)).one_or_none()
        events = [(e.kind, e.detail) for e in case.events] if case else []
        return post.text, post.version, post.url, post.complaint, events


def test_an_older_edit_read_after_a_newer_one_changes_nothing(
    app: App, source: MemorySource
) -> None:
    source.add(version("200", "NovaBrew arrived", None, 1))
    app.poll(source)
    source.add(  # X, newest first: the last edit on page 1, the one before it on page 2
        version("200", "NovaBrew arrived broken, I want a refund", "202", 3),
        version("200", "NovaBrew arrived brokn", "201", 2),
    )
    report = app.poll(source)
    assert (report.result.edits, report.result.repeats, report.result.cases_opened) == (1, 1, 1)
    text, v, url, complaint, events = stored(app, "200")
    assert (text, v, url) == (
        "NovaBrew arrived broken, I want a refund",
        "202",
        "https://x.com/customer/status/202",
    )
    assert complaint is not None and complaint > 0.5 and [k for k, _ in events] == ["opened"]

    source.add(  # the first version and the middle one again (a retweet made before the edit)
        version("200", "NovaBrew arrived", None, 1),
        version("200", "NovaBrew arrived brokn", "201", 2),
    )
    again = app.poll(source)
    assert (again.result.edits, again.result.repeats) == (0, 2)
    assert stored(app, "200")[:2] == ("NovaBrew arrived broken, I want a refund", "202")

    source.add(version("200", "NovaBrew arrived broken!! I want a refund", "1203", 4))
    newer = app.poll(source)  # a later edit is still applied (a longer snowflake is later)
    assert newer.result.edits == 1
    text, v, _, _, events = stored(app, "200")
    assert (text, v) == ("NovaBrew arrived broken!! I want a refund", "1203")
    assert [k for k, _ in events] == ["opened", "edited"] and events[-1][1] == {"version": "1203"}


def test_a_post_first_seen_as_an_edit_keeps_that_version(app: App, source: MemorySource) -> None:
    # its first version was never heard: the edit is stored as the post, with its version
    source.add(version("300", "NovaBrew arrived broken, I want a refund", "302", 3))
    app.poll(source)
    source.add(version("300", "NovaBrew arrived", "301", 2))
    report = app.poll(source)
    assert (report.result.edits, report.result.repeats) == (0, 1)
    text, v, _, _, events = stored(app, "300")
    assert (text, v) == ("NovaBrew arrived broken, I want a refund", "302")
    assert [k for k, _ in events] == ["opened"]
