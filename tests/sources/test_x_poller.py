"""The X source built by ``monitor.wiring`` from settings, polled by the real poller into SQLite.

End to end on the storage side: every matching tweet lands in the ``posts`` table exactly once
across paging, faults and a restart of the whole app, and the source itself never hands the
pipeline a repeat.
"""

from __future__ import annotations

from pathlib import Path

from conftest_x import emulator, xclock
from sqlalchemy import select

from alerts.console import ConsoleSink
from monitor.app import App
from monitor.models import Case, Post
from monitor.settings import Settings
from sources.x import XSource
from tests.emulators.http import Fault
from tests.emulators.x import XEmulator
from tests.fakes import FakeClock, KeywordClassifier

__all__ = ["emulator", "xclock"]  # the fixtures, imported from conftest_x

TERMS = ["acme", "acme widgets", "#acmefail", "@acmehelp"]


def settings_for(
    emulator: XEmulator, tmp_path: Path, database_url: str | None = None, **source: object
) -> Settings:
    data = {
        "database_url": database_url or f"sqlite:///{tmp_path / 'replywatch.db'}",
        "brand_accounts": {"x": [{"handle": "acmehelp", "team": "support"}]},
        "entities": [
            {"id": "acme", "kind": "brand", "name": "Acme", "terms": TERMS, "team": "support"}
        ],
        "sources": [
            {
                "name": "x-main",
                "type": "x",
                "bearer_token": "env:X_BEARER",
                "api_url": emulator.url,
                "timeout": "1s",
                **source,
            }
        ],
        "teams": {"support": {"slack_channel": "#support"}},
    }
    return Settings.model_validate(data, context={"environ": {"X_BEARER": "emulator-bearer"}})


def build(settings: Settings, clock: FakeClock) -> App:
    app = App.build(settings, clock=clock, sink=ConsoleSink(), classifier=KeywordClassifier())
    (source,) = app.sources
    assert isinstance(source, XSource)  # built by monitor.wiring
    return app


def close(app: App) -> None:
    """Close the app's X source (its HTTP client) and then the app."""
    (source,) = app.sources
    assert isinstance(source, XSource)
    source.close()
    app.close()


def poll_until_done(app: App, clock: FakeClock) -> int:
    """Poll like the scheduler would until a cycle completes; returns repeats seen."""
    (source,) = app.sources
    repeats = 0
    for _ in range(50):
        report = app.poll(source)
        repeats += report.result.repeats
        if report.error is None and report.batches:
            return repeats
        if report.waiting_until is not None:
            clock.now = max(clock.now, report.waiting_until)
        clock.advance(1)
    raise AssertionError("the poller never finished a cycle")


def test_wired_x_source_stores_every_tweet_once(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path)
    app = build(settings, xclock)
    expected: set[str] = set()

    def add(n: int, tag: str) -> None:
        for i in range(n):
            a = emulator.add_tweet(f"u{tag}{i}", f"acme widgets broke {tag}{i}")
            b = emulator.add_tweet(f"v{tag}{i}", f"@acmehelp refund please {tag}{i}")
            c = emulator.add_tweet("acmehelp", f"on it {tag}{i}", reply_to=b)
            emulator.add_tweet(f"w{tag}{i}", f"nothing to see {tag}{i}")
            expected.update({a, b, c})

    repeats = 0
    faults = [Fault.server_error(503), Fault.truncated(keep=30), emulator.rate_limit_fault(60)]
    try:
        add(15, "a")
        repeats += poll_until_done(app, xclock)
        for n, fault in enumerate(faults):
            xclock.advance(120)
            add(12, f"r{n}-")
            emulator.inject(fault)
            if n == 1:  # restart the whole app: only the database survives
                close(app)
                app = build(settings, xclock)
            repeats += poll_until_done(app, xclock)
        xclock.advance(120)  # a stream whose endpoint was rate limited reads in a later cycle
        repeats += poll_until_done(app, xclock)
        with app.sessions() as session:
            stored = session.scalars(select(Post.native_id).where(Post.platform == "x")).all()
    finally:
        close(app)
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    assert repeats == 0


def test_half_an_emoji_on_the_wire_is_stored_and_classified(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path, database_url: str
) -> None:
    """JSON may carry a lone surrogate (``"\\ud83d"``, an emoji cut in two), which no
    database or tokenizer accepts: the post is kept with U+FFFD in its place, instead of
    failing its batch and, the cursor staying put, every batch after it."""
    emulator.add_user("zed", name="Zed \ud83d")
    cut = emulator.add_tweet("zed", "acme app crashed again, I want a refund \ud83d")
    after = emulator.add_tweet("amy", "acme widgets broke")
    app = App.build(
        settings_for(emulator, tmp_path, database_url), clock=xclock, sink=ConsoleSink()
    )  # and the offline classifier, which hashes every code point of the text
    try:
        poll_until_done(app, xclock)
        with app.sessions() as session:
            posts = {p.native_id: p for p in session.scalars(select(Post))}
            cases = {c.post.native_id for c in session.scalars(select(Case))}
            name = posts[cut].author.display_name
    finally:
        close(app)
    assert set(posts) == {cut, after}
    assert posts[cut].text == "acme app crashed again, I want a refund \ufffd"
    assert name == "Zed \ufffd"
    assert posts[cut].classifier is not None and posts[cut].classifier.startswith("offline@")
    assert posts[cut].sentiment == "negative"
    assert cut in cases


def test_a_nul_on_the_wire_is_dropped_and_the_posts_after_it_stored(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path, database_url: str
) -> None:
    """JSON may carry U+0000 (``"\\u0000"``), which PostgreSQL refuses in text: the post is
    kept without it, instead of failing its batch at every poll with the cursor stuck."""
    emulator.add_user("nul", name="Nu\x00l")
    bad = emulator.add_tweet("nul", "acme broke\x00 my order")
    after = emulator.add_tweet("amy", "acme widgets broke")
    app = build(settings_for(emulator, tmp_path, database_url), xclock)
    try:
        poll_until_done(app, xclock)
        with app.sessions() as session:
            posts = {p.native_id: p for p in session.scalars(select(Post))}
            name = posts[bad].author.display_name
    finally:
        close(app)
    assert set(posts) == {bad, after}
    assert posts[bad].text == "acme broke my order"
    assert name == "Nul"


def test_an_edited_post_is_one_post_and_one_case(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path, database_url: str
) -> None:
    """X gives each edit of a post an id of its own and lists only the latest version. An edit
    is the post it edits: it revises the stored post (and opens its case when the edit makes
    it a complaint), never a second post or a second case, and the brand's answer to the
    latest version stops the clocks of the case opened on the first."""
    first = emulator.add_tweet("amy", "acme widgets arrived today")
    app = build(settings_for(emulator, tmp_path, database_url), xclock)

    def stored() -> tuple[list[Post], list[Case]]:
        with app.sessions() as session:
            posts = list(session.scalars(select(Post).where(Post.is_brand_response.is_(False))))
            cases = list(session.scalars(select(Case)))
            for case in cases:
                _ = case.events, case.post
            return posts, cases

    try:
        poll_until_done(app, xclock)
        assert [(p.native_id, len(stored()[1])) for p in stored()[0]] == [(first, 0)]

        xclock.advance(60)
        second = emulator.edit_tweet(first, "acme widgets arrived broken, I want a refund")
        poll_until_done(app, xclock)
        posts, cases = stored()
        assert [p.native_id for p in posts] == [first]
        assert posts[0].text == "acme widgets arrived broken, I want a refund"
        assert posts[0].url == f"https://x.com/amy/status/{second}"
        assert [c.post.native_id for c in cases] == [first]

        xclock.advance(60)
        third = emulator.edit_tweet(second, "acme widgets arrived broken! I want a refund")
        poll_until_done(app, xclock)
        posts, cases = stored()
        assert [p.native_id for p in posts] == [first] and len(cases) == 1
        assert posts[0].text.endswith("broken! I want a refund")
        assert [e.detail for e in cases[0].events if e.kind == "edited"] == [{"version": third}]

        xclock.advance(60)
        emulator.add_tweet("acmehelp", "so sorry, a new one is on its way", reply_to=third)
        poll_until_done(app, xclock)
        (case,) = stored()[1]
        assert case.first_response_at is not None and case.status == "responded"
    finally:
        close(app)


def test_a_complaint_heard_only_through_retweets_opens_one_case_on_the_original(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path, database_url: str
) -> None:
    """The complaint itself is past search's 7 days; its retweets are not. The case opens on
    the original (its author is the customer to answer), once; each retweet is stored as a
    repost of it and opens nothing, now or later."""
    original = emulator.add_tweet("dana", "acme kettle broken after a week, refund please")
    xclock.advance(8 * 86400)
    emulator.add_tweet("eve", retweet_of=original)
    settings = settings_for(emulator, tmp_path, database_url, include_retweets=True)
    app = build(settings, xclock)

    def stored() -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
        with app.sessions() as session:
            posts = [(p.author.handle, p.repost_of) for p in session.scalars(select(Post))]
            cases = [
                (c.post.native_id, c.post.author.handle) for c in session.scalars(select(Case))
            ]
            return sorted(posts), cases

    try:
        poll_until_done(app, xclock)
        assert stored() == ([("dana", None), ("eve", original)], [(original, "dana")])
        xclock.advance(60)
        emulator.add_tweet("fay", retweet_of=original)
        poll_until_done(app, xclock)
        posts, cases = stored()
        assert posts == [("dana", None), ("eve", original), ("fay", original)]
        assert cases == [(original, "dana")]
    finally:
        close(app)
