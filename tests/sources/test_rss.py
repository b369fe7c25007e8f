"""RssSource against a local feed server: real requests, real feedparser, no mocks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.errors import MalformedResponse, RateLimited, SourceUnavailable
from sources.base import Source
from sources.rss import RssSource
from tests.emulators.feeds import FeedEmulator
from tests.emulators.http import Fault
from tests.fakes import FakeClock

WHEN = datetime(2026, 11, 19, 8, 30, tzinfo=UTC)


@pytest.fixture
def feeds() -> Iterator[FeedEmulator]:
    with FeedEmulator() as em:
        yield em


@pytest.fixture
def make_source() -> Iterator[Callable[..., RssSource]]:
    made: list[RssSource] = []

    def make(urls: list[str], **options: Any) -> RssSource:
        source = RssSource("news", urls=urls, timeout_s=2.0, clock=FakeClock(), **options)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def test_rss_and_atom_entries_become_posts(
    feeds: FeedEmulator, make_source: Callable[..., RssSource]
) -> None:
    rss = feeds.add_feed("blog/rss.xml", title="Widget Weekly")
    atom = feeds.add_feed("news/atom.xml", kind="atom", title="Acme News", language="de")
    feeds.add_entry(
        "blog/rss.xml",
        "Acme recall",
        link="https://blog.example/acme-recall",
        guid="https://blog.example/?p=1",
        published=WHEN,
        summary="<p>Widgets <b>overheat</b> &amp; melt</p>",
        author="Jane Doe",
    )
    feeds.add_entry(
        "news/atom.xml",
        "Acme Quartalszahlen",
        link="https://news.example/q3",
        guid="tag:news.example,2026:q3",
        published=WHEN,
    )
    source = make_source([rss, atom])
    assert isinstance(source, Source) and source.platform == "rss"
    batch = source.fetch(None)
    by_id = {p.native_id: p for p in batch.posts}
    post = by_id["https://blog.example/?p=1"]
    assert post.text == "Acme recall\n\nWidgets overheat & melt"
    assert (post.author.handle, post.url, post.lang) == (
        "Jane Doe",
        "https://blog.example/acme-recall",
        "en",
    )
    assert post.created_at == WHEN and post.kind == "post"
    news = by_id["tag:news.example,2026:q3"]
    assert news.author.handle == "Acme News"  # no entry author: the feed speaks
    assert (news.lang, news.created_at, news.url) == ("de", WHEN, "https://news.example/q3")
    assert not batch.more and batch.errors == []


def test_dedupe_by_entry_id_then_link(
    feeds: FeedEmulator, make_source: Callable[..., RssSource]
) -> None:
    one = feeds.add_feed("one.xml", validators=False)
    two = feeds.add_feed("two.xml", validators=False)
    feeds.add_entry("one.xml", "a", link="https://x.example/a", guid="urn:a")
    feeds.add_entry("one.xml", "b", link="https://x.example/b")  # no guid: link is identity
    feeds.add_entry("one.xml", "c", guid="42")  # feed-local guid
    feeds.add_entry("two.xml", "c elsewhere", guid="42")  # same local guid, another feed
    feeds.add_entry("two.xml", "a syndicated", link="https://y.example/a", guid="urn:a")
    source = make_source([one, two])
    first = source.fetch(None)
    ids = sorted(p.native_id for p in first.posts)
    assert ids == sorted(["urn:a", "https://x.example/b", f"{one}#42", f"{two}#42"])
    # The same entries again, one with a changed link: nothing new.
    feeds.feeds["one.xml"].entries[-1].link = "https://x.example/a?utm=1"
    second = source.fetch(first.cursor)
    assert second.posts == []
    feeds.add_entry("one.xml", "d", published=WHEN)  # neither id nor link: hashed
    third = source.fetch(second.cursor)
    fourth = source.fetch(third.cursor)
    assert [p.text for p in third.posts] == ["d"] and fourth.posts == []


def test_conditional_get(feeds: FeedEmulator, make_source: Callable[..., RssSource]) -> None:
    url = feeds.add_feed("blog/rss.xml")
    feeds.add_entry("blog/rss.xml", "first", guid="urn:1")
    source = make_source([url])
    first = source.fetch(None)
    assert first.cursor["feeds"][url]["etag"]
    second = source.fetch(first.cursor)
    assert second.posts == []
    request = feeds.requests[-1]
    assert request.headers["if-none-match"] == first.cursor["feeds"][url]["etag"]
    assert "if-modified-since" in request.headers
    assert second.cursor == first.cursor  # a 304 keeps the cursor
    feeds.add_entry("blog/rss.xml", "second", guid="urn:2")
    third = source.fetch(second.cursor)
    assert [p.text for p in third.posts] == ["second"]
    assert third.cursor["feeds"][url]["etag"] != first.cursor["feeds"][url]["etag"]


def test_a_malformed_feed_is_skipped_without_losing_the_others(
    feeds: FeedEmulator, make_source: Callable[..., RssSource]
) -> None:
    good = feeds.add_feed("good.xml")
    bad = feeds.add_feed("bad.xml")
    slow = feeds.add_feed("slow.xml")
    feeds.add_entry("good.xml", "fine", guid="urn:g1")
    feeds.add_entry("bad.xml", "old news", guid="urn:b1")
    feeds.add_entry("slow.xml", "slow news", guid="urn:s1")
    source = make_source([good, bad, slow])
    first = source.fetch(None)
    assert len(first.posts) == 3
    feeds.add_entry("good.xml", "fine again", guid="urn:g2")
    feeds.add_entry("bad.xml", "lost?", guid="urn:b2")
    feeds.add_entry("slow.xml", "slower", guid="urn:s2")
    feeds.set_raw("bad.xml", b"<html><body>502 Bad Gateway</body></html")
    feeds.inject(Fault.timeout(delay_s=2.5, path="slow"))
    second = source.fetch(first.cursor)
    assert [p.text for p in second.posts] == ["fine again"]
    assert len(second.errors) == 2
    assert [e for e in second.errors if bad in e and "not a feed" in e]
    assert [e for e in second.errors if slow in e]
    assert second.cursor["feeds"][bad] == first.cursor["feeds"][bad]
    assert second.cursor["feeds"][slow] == first.cursor["feeds"][slow]
    feeds.feeds["bad.xml"].raw = None
    third = source.fetch(second.cursor)
    assert sorted(p.text for p in third.posts) == ["lost?", "slower"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.server_error(503), SourceUnavailable),
        (Fault(status=429, body=b"", headers={"Retry-After": "120"}), RateLimited),
        (Fault(drop=True), SourceUnavailable),
        (Fault.malformed(body=b"not xml at all"), MalformedResponse),
    ],
    ids=["503", "429", "dropped", "garbage"],
)
def test_when_every_feed_fails_fetch_raises(
    feeds: FeedEmulator,
    make_source: Callable[..., RssSource],
    fault: Fault,
    error: type[Exception],
) -> None:
    url = feeds.add_feed("only.xml")
    feeds.add_entry("only.xml", "x", guid="urn:x")
    feeds.inject(fault)
    source = make_source([url])
    with pytest.raises(error, match="news"):
        source.fetch(None)
    if error is RateLimited:
        with pytest.raises(RateLimited) as caught:
            feeds.inject(fault)
            source.fetch(None)
        assert caught.value.retry_after_s == 120
    assert [p.text for p in source.fetch(None).posts] == ["x"]


def test_terms_filter_entries(feeds: FeedEmulator, make_source: Callable[..., RssSource]) -> None:
    url = feeds.add_feed("f.xml")
    feeds.add_entry("f.xml", "Acme widgets recalled", guid="urn:1")
    feeds.add_entry("f.xml", "Weather today", summary="sunny, says ACME weather", guid="urn:2")
    feeds.add_entry("f.xml", "Acmeville fair", guid="urn:3")
    batch = make_source([url], terms=["acme"]).fetch(None)
    assert sorted(p.native_id for p in batch.posts) == ["urn:1", "urn:2"]


def test_a_long_feed_is_never_forgotten(
    feeds: FeedEmulator, make_source: Callable[..., RssSource]
) -> None:
    url = feeds.add_feed("long.xml", validators=False)
    for i in range(60):
        feeds.add_entry("long.xml", f"entry {i}", guid=f"urn:{i}")
    source = make_source([url], max_seen=20)
    first = source.fetch(None)
    feeds.add_entry("long.xml", "entry 60", guid="urn:60")
    second = source.fetch(first.cursor)
    assert len(first.posts) == 60 and [p.text for p in second.posts] == ["entry 60"]
    assert len(second.cursor["feeds"][url]["seen"]) == 61
