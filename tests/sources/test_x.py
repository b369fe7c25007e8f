"""XSource against the X emulator: real tweepy, real HTTP, faults injected by the emulator."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from conftest_x import emulator, xclock

from monitor.errors import (
    AuthError,
    ConfigError,
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from sources.base import Batch, Cursor, Replier, Source, SourcePost
from sources.x import XSource, build_queries
from sources.x_format import snowflake_time, tweet_to_post
from tests.emulators.http import Fault
from tests.emulators.x import XEmulator, snowflake
from tests.fakes import FakeClock

__all__ = ["emulator", "xclock"]  # the fixtures, imported from conftest_x

TERMS = ["acme", "acme widgets", "#acmefail"]
CREDS = {
    "consumer_key": "emulator-ck",
    "consumer_secret": "emulator-cs",
    "access_token": "emulator-at",
    "access_token_secret": "emulator-ats",
}


@pytest.fixture
def make_source(emulator: XEmulator, xclock: FakeClock) -> Iterator[Callable[..., XSource]]:
    made: list[XSource] = []

    def make(**overrides: Any) -> XSource:
        options: dict[str, Any] = {
            "bearer_token": "emulator-bearer",
            "terms": TERMS,
            "brand_handles": ["acmehelp"],
            "api_url": emulator.url,
            "timeout_s": 2.0,  # a loaded CI machine can take a while; timeouts use 2.5 s
            "page_size": 10,
            # these tests page through the whole timeline on a first poll
            "backfill_pages": 100,
            "clock": xclock,
            **CREDS,
        }
        options.update(overrides)
        source = XSource("x-main", **options)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


class Store:
    """The poller's contract in miniature: a batch's posts and its cursor land together."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.posts: dict[str, SourcePost] = {}
        self.cursor: Cursor | None = None
        self.errors: list[SourceError] = []
        self.batches: list[Batch] = []

    def commit(self, batch: Batch) -> None:
        self.batches.append(batch)
        for post in batch.posts:
            self.seen[post.native_id] += 1
            self.posts[post.native_id] = post
        self.cursor = batch.cursor

    def poll(self, source: XSource, clock: FakeClock, *, max_fetches: int = 200) -> None:
        """One poll cycle: fetch until ``more`` is false; on errors keep the cursor."""
        for _ in range(max_fetches):
            try:
                batch = source.fetch(self.cursor)
            except RateLimited as exc:
                self.errors.append(exc)
                clock.advance(exc.retry_after_s + 1)
                continue
            except SourceError as exc:
                self.errors.append(exc)
                continue
            self.commit(batch)
            if not batch.more:
                return
        raise AssertionError("poll cycle did not finish")


def complaints(em: XEmulator, n: int, *, tag: str = "complaint") -> list[str]:
    """``n`` tweets matching the watch terms, from ``n`` users, oldest first; their ids."""
    return [em.add_tweet(f"{tag}{i}", f"acme {tag} {i}") for i in range(n)]


def expected_ids(em: XEmulator, brand: str = "acmehelp") -> set[str]:
    """What the source must deliver: term matches (no retweets), brand mentions, brand tweets."""
    import re

    term = re.compile(r"(?<!\w)(acme|acme\W+widgets|#acmefail)(?!\w)", re.IGNORECASE)
    mention = re.compile(rf"(?<![\w@])@{brand}\b", re.IGNORECASE)
    brand_id = em.user_id(brand)
    out = set()
    for tweet in em.tweets.values():
        is_rt = any(r["type"] == "retweeted" for r in tweet.get("referenced_tweets", []))
        if (term.search(tweet["text"]) and not is_rt) or mention.search(tweet["text"]):
            out.add(tweet["id"])
        if tweet["author_id"] == brand_id:
            out.add(tweet["id"])
    return out


def populate(em: XEmulator, n: int, *, tag: str) -> None:
    """A mixed timeline: matches, brand mentions, overlaps, retweets, brand replies, noise."""
    for i in range(n):
        match i % 6:
            case 0:
                em.add_tweet(f"user{i}", f"acme widgets broke again {tag}{i}")
            case 1:
                em.add_tweet(f"user{i}", f"@acmehelp where is my parcel {tag}{i}")
            case 2:  # matches a term *and* mentions the brand: two streams, one post
                em.add_tweet(f"user{i}", f"@AcmeHelp acme is down {tag}{i}")
            case 3:
                em.add_tweet(f"user{i}", f"unrelated chatter about cats {tag}{i}")
            case 4:
                original = em.add_tweet(f"user{i}", f"#acmefail today {tag}{i}")
                em.add_tweet(f"fan{i}", retweet_of=original)  # excluded from search
            case 5:
                parent = em.add_tweet(f"user{i}", f"@acmehelp refund please {tag}{i}")
                em.add_tweet("acmehelp", f"sorry to hear that {tag}{i}", reply_to=parent)


def assert_exactly_once(store: Store, em: XEmulator) -> None:
    assert [k for k, n in store.seen.items() if n > 1] == []
    assert set(store.seen) == expected_ids(em)


# ----------------------------------------------------------------------------- contract


def test_implements_source_and_replier(make_source: Callable[..., XSource]) -> None:
    source = make_source()
    assert isinstance(source, Source)
    assert isinstance(source, Replier)
    assert source.platform == "x"
    assert "emulator" not in repr(source)


def test_every_tweet_exactly_once_across_pages_restarts_and_faults(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    store = Store()
    populate(emulator, 40, tag="a")
    store.poll(make_source(), xclock)
    assert_exactly_once(store, emulator)
    assert not store.errors

    # More than one page per stream since the last poll, a restart, and a fault of each kind.
    faults = [
        Fault.server_error(503),
        Fault.timeout(delay_s=2.5),
        Fault.truncated(keep=40),
        Fault.malformed(),
        Fault(drop=True),
        emulator.rate_limit_fault(reset_in_s=90),
    ]
    for round_no, fault in enumerate(faults):
        xclock.advance(60)
        populate(emulator, 30, tag=f"r{round_no}-")
        source = make_source()  # a restart: a new client, only the saved cursor survives
        store.commit(source.fetch(store.cursor))  # first page of the first search...
        store.commit(source.fetch(store.cursor))  # ...and the second: now mid-paging
        assert store.cursor is not None and store.cursor["todo"]
        emulator.inject(fault)
        if round_no % 2:
            source = make_source()  # restart mid-paging, mid-cycle
        store.poll(source, xclock)
        assert_exactly_once(store, emulator)
    kinds = {type(e) for e in store.errors}
    assert kinds == {SourceUnavailable, MalformedResponse, RateLimited}


def test_retweets_left_out_of_search_but_marked_when_they_come_as_mentions(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    original = emulator.add_tweet("dana", "acme ate my homework")
    retweet = emulator.add_tweet("eve", retweet_of=original)
    complaint = emulator.add_tweet("frank", "@acmehelp still broken")
    mention_rt = emulator.add_tweet("gina", retweet_of=complaint)
    store = Store()
    store.poll(make_source(terms=["acme"], brand_handles=["acmehelp"]), xclock)
    assert retweet not in store.posts  # search sends -is:retweet
    assert store.posts[original].repost_of is None
    assert store.posts[mention_rt].repost_of == complaint
    assert store.posts[mention_rt].kind == "post"
    searches = [r for r in emulator.requests if r.path == "/2/tweets/search/recent"]
    assert all("-is:retweet" in (r.arg("query") or "") for r in searches)


def test_retweets_searched_when_asked(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    original = emulator.add_tweet("dana", "acme ate my homework")
    retweet = emulator.add_tweet("eve", retweet_of=original)
    store = Store()
    store.poll(make_source(terms=["acme"], brand_handles=(), include_retweets=True), xclock)
    assert store.posts[retweet].repost_of == original


def test_a_retweet_brings_in_the_original_it_retweets(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    """A complaint older than search's 7 days, heard only through today's retweets of it: the
    original comes as a post of its own (its author, its full text, its link), once, ahead of
    the retweets, so the pipeline can open its case; the retweets stay reposts of it."""
    long_text = "acme kettle " + "leaks everywhere, " * 20 + "I want my money back"
    original = emulator.add_tweet("dana", long_text)
    xclock.advance(8 * 86400)
    first = emulator.add_tweet("eve", retweet_of=original)
    second = emulator.add_tweet("fay", retweet_of=original)
    source = make_source(terms=["acme"], brand_handles=(), include_retweets=True)
    store = Store()
    store.poll(source, xclock)
    assert set(store.posts) == {original, first, second}
    assert store.seen[original] == 1
    got = store.posts[original]
    assert (got.author.handle, got.text, got.repost_of) == ("dana", long_text, None)
    assert got.url == f"https://x.com/dana/status/{original}"
    assert store.posts[first].repost_of == store.posts[second].repost_of == original
    order = [p.native_id for b in store.batches for p in b.posts]
    assert order.index(original) < min(order.index(first), order.index(second))


def test_an_unreadable_retweeted_original_loses_only_itself(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    original = emulator.add_tweet("dana", "acme kettle leaks")
    xclock.advance(8 * 86400)
    retweet = emulator.add_tweet("eve", retweet_of=original)
    emulator.tweets[int(original)]["created_at"] = "last week"  # X sent a copy we cannot read
    store = Store()
    store.poll(make_source(terms=["acme"], brand_handles=(), include_retweets=True), xclock)
    assert set(store.posts) == {retweet} and store.posts[retweet].repost_of == original
    assert sum(b.skipped for b in store.batches) == 1


def test_brand_replies_come_back_with_the_brand_as_author(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    parent = emulator.add_tweet("hal", "@acmehelp my widget is on fire", lang="en")
    answer = emulator.add_tweet("acmehelp", "please unplug it", reply_to=parent)
    store = Store()
    store.poll(make_source(), xclock)
    post = store.posts[answer]
    assert post.author.handle == "acmehelp"
    assert post.author.native_id == emulator.user_id("acmehelp")
    assert post.author.followers == 12000
    assert (post.kind, post.in_reply_to, post.conversation_id) == ("reply", parent, parent)
    assert post.url == f"https://x.com/acmehelp/status/{answer}"
    complaint = store.posts[parent]
    assert complaint.author.handle == "hal"
    assert complaint.lang == "en"
    assert complaint.created_at == xclock().replace(microsecond=0)


# --------------------------------------------------------------------------- rate limits


def test_429_raises_rate_limited_until_the_reset(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    emulator.add_tweet("ivy", "acme is great")
    source = make_source(brand_handles=())
    emulator.inject(emulator.rate_limit_fault(reset_in_s=120))
    with pytest.raises(RateLimited) as caught:
        source.fetch(None)
    assert 119 <= caught.value.retry_after_s <= 120
    assert "x-main" in str(caught.value)
    sent = len(emulator.requests)
    with pytest.raises(RateLimited):  # the spent budget is known: no request is made
        source.fetch(None)
    assert len(emulator.requests) == sent
    xclock.advance(121)
    batch = source.fetch(None)
    assert [p.text for p in batch.posts] == ["acme is great"]


def test_an_exhausted_budget_is_planned_for(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    emulator.add_tweet("ivy", "acme is great")
    emulator.set_budget("search", remaining=1, reset_in_s=300)
    source = make_source(brand_handles=())
    batch = source.fetch(None)
    assert len(batch.posts) == 1 and not batch.more
    assert batch.next_poll_after_s is not None and 299 <= batch.next_poll_after_s <= 300
    with pytest.raises(RateLimited):
        source.fetch(batch.cursor)
    xclock.advance(301)
    assert source.fetch(batch.cursor).posts == []


def test_the_pace_keeps_a_cycle_inside_the_budget(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    emulator.set_budget("search", limit=60, remaining=60, reset_in_s=900)
    source = make_source(brand_handles=())
    batch = source.fetch(None)
    # 59 searches left for 900 s: at most one cycle every 900/60 = 15 s.
    assert batch.next_poll_after_s == pytest.approx(15, abs=0.1)


def test_a_spent_search_budget_leaves_the_brands_mentions_and_replies_read(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    """X's limits are per endpoint: with search spent until its reset, a cycle still reads
    the brand's mentions and own replies (which stop the clocks), and search catches up after
    the reset from where it stood."""
    before = emulator.add_tweet("amy", "acme widgets broke")
    source = make_source()
    store = Store()
    store.poll(source, xclock)
    searched = emulator.add_tweet("bob", "acme widgets broke again")
    mention = emulator.add_tweet("cat", "@acmehelp where is my parcel")
    reply = emulator.add_tweet("acmehelp", "on its way", reply_to=mention)
    emulator.set_budget("search", remaining=0, reset_in_s=900)
    start = xclock.now
    store.poll(source, xclock)
    assert store.errors == [] and xclock.now == start, "the cycle must not wait for search"
    assert {mention, reply} <= set(store.seen) and searched not in store.seen
    pace = store.batches[-1].next_poll_after_s
    assert pace is not None and pace < 10  # the other endpoints' pace, not search's reset
    xclock.advance(60)
    store.poll(source, xclock)  # search still spent: skipped without a request
    assert store.errors == [] and searched not in store.seen
    xclock.advance(900)
    store.poll(source, xclock)
    assert searched in store.seen and before in store.seen
    assert_exactly_once(store, emulator)


def test_a_bare_429_spends_its_endpoint_for_a_minute_and_only_that_endpoint(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    mention = emulator.add_tweet("cat", "@acmehelp where is my parcel")
    emulator.inject(Fault.rate_limited({}, {"title": "Too Many Requests"}, path="/search/"))
    source, store = make_source(), Store()
    store.poll(source, xclock)
    assert store.errors == [] and mention in store.seen

    def searches() -> int:
        return sum("/search/" in r.path for r in emulator.requests)

    sent = searches()
    xclock.advance(30)
    store.poll(source, xclock)
    assert searches() == sent, "no search before the minute a bare 429 stands for"
    xclock.advance(31)
    store.poll(source, xclock)
    assert searches() == sent + 1 and store.errors == []


# -------------------------------------------------------------------------------- paging


def test_a_failure_mid_paging_keeps_since_id_and_the_next_poll_recovers(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    complaints(emulator, 25)
    source = make_source(brand_handles=())
    first = source.fetch(None)
    state = first.cursor["streams"][next(iter(first.cursor["streams"]))]
    assert first.more and "next_token" in state and "since_id" not in state
    assert len(first.posts) == 10
    emulator.inject(Fault.server_error(503))
    with pytest.raises(SourceUnavailable):
        source.fetch(first.cursor)
    rest = []
    cursor = first.cursor
    while True:
        batch = source.fetch(cursor)
        rest.extend(batch.posts)
        cursor = batch.cursor
        if not batch.more:
            break
    ids = [p.native_id for p in first.posts + rest]
    assert len(ids) == len(set(ids)) == 25
    (state,) = cursor["streams"].values()
    assert state == {"since_id": max(ids, key=int)}


def test_a_page_without_meta_mid_paging_is_malformed_and_no_page_is_skipped(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    # a 200 of well-formed JSON without meta ("{}") cannot be told from the last page: taking
    # it for one would move since_id past the pages not read yet
    emulator.add_tweet("first", "acme first")
    store = Store()
    source = make_source(brand_handles=())
    store.poll(source, xclock)
    xclock.advance(60)
    backlog = complaints(emulator, 35)
    store.commit(source.fetch(store.cursor))  # the first of four pages
    emulator.inject(Fault.malformed(b"{}", path="search"))
    store.poll(source, xclock)  # the page without meta raises; the cursor stays, retried
    assert [t for t in backlog if store.seen[t] != 1] == []
    assert [type(e) for e in store.errors] == [MalformedResponse]
    assert "meta" in str(store.errors[0])


def test_find_reply_without_meta_raises_rather_than_answer_none(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    complaint = emulator.add_tweet("mo", "@acmehelp broken again")
    source = make_source()
    emulator.inject(Fault.malformed(b"{}", path="/tweets$"))
    with pytest.raises(MalformedResponse):
        source.find_reply(complaint)


def test_an_expired_paging_token_restarts_the_stream_without_duplicates(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    complaints(emulator, 25)
    store = Store()
    source = make_source(brand_handles=())
    store.commit(source.fetch(None))
    emulator.forget_paging_tokens()
    store.poll(source, xclock)
    assert len(store.seen) == 25 and max(store.seen.values()) == 1


def test_a_since_id_older_than_the_search_window_is_dropped_with_a_warning(
    emulator: XEmulator,
    make_source: Callable[..., XSource],
    xclock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.add_tweet("old", "acme then")
    store = Store()
    store.poll(make_source(brand_handles=()), xclock)
    xclock.advance(timedelta(days=8))
    new = emulator.add_tweet("new", "acme now")
    with caplog.at_level(logging.WARNING, logger="sources.x"):
        store.poll(make_source(brand_handles=()), xclock)
    assert store.seen[new] == 1
    assert "older than X keeps" in caplog.text


# ------------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.server_error(503), SourceUnavailable),
        (Fault.server_error(500), SourceUnavailable),
        (Fault.timeout(delay_s=2.5), SourceUnavailable),
        (Fault(drop=True), SourceUnavailable),
        (Fault.truncated(keep=25), MalformedResponse),
        (Fault.malformed(), MalformedResponse),
        (Fault.malformed(body=b"[1, 2]"), MalformedResponse),
        # error answers of shapes tweepy itself trips over
        (Fault(status=503, body=b'"Service Unavailable"'), MalformedResponse),
        (Fault(status=502, body=[]), MalformedResponse),
        (Fault(status=400, body={"errors": None}), MalformedResponse),
        (Fault.rate_limited({"x-rate-limit-reset": "1790000000.5"}, body={}), MalformedResponse),
    ],
    ids=[
        "503",
        "500",
        "timeout",
        "dropped",
        "truncated",
        "malformed",
        "not-an-object",
        "503-string-body",
        "502-list-body",
        "400-null-errors",
        "429-odd-reset",
    ],
)
def test_faults_are_translated_and_the_cursor_stays(
    emulator: XEmulator,
    make_source: Callable[..., XSource],
    fault: Fault,
    error: type[SourceError],
) -> None:
    emulator.add_tweet("jo", "acme!")
    source = make_source(brand_handles=())
    emulator.inject(fault)
    with pytest.raises(error) as caught:
        source.fetch(None)
    assert caught.value.source == "x-main"
    assert [p.text for p in source.fetch(None).posts] == ["acme!"]


def test_a_wrong_bearer_token_is_an_auth_error_without_the_secret(
    make_source: Callable[..., XSource],
) -> None:
    source = make_source(bearer_token="s3cret-wrong-token", brand_handles=())
    with pytest.raises(AuthError) as caught:
        source.fetch(None)
    assert "x-main" in str(caught.value) and "401" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_the_bearer_token_never_reaches_the_log(
    emulator: XEmulator, make_source: Callable[..., XSource], caplog: pytest.LogCaptureFixture
) -> None:
    source = make_source(brand_handles=())
    with caplog.at_level(logging.DEBUG, logger="tweepy.client"):
        source.fetch(None)
    assert "Making API request" in caplog.text
    assert "emulator-bearer" not in caplog.text


def test_no_credential_reaches_the_log_when_replying(
    emulator: XEmulator, make_source: Callable[..., XSource], caplog: pytest.LogCaptureFixture
) -> None:
    complaint = emulator.add_tweet("mo", "@acmehelp broken again")
    source = make_source()
    with caplog.at_level(logging.DEBUG):  # -vv: every logger at DEBUG
        source.reply(complaint, "Sorry! We are on it.")
        source.find_reply(complaint)
    assert "Making API request" in caplog.text
    for secret in [*CREDS.values(), "emulator-bearer"]:
        assert secret not in caplog.text


def test_an_unknown_brand_handle_is_named_and_the_rest_is_read(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    mention = emulator.add_tweet("someone", "@acmehelp my parcel?")
    found = emulator.add_tweet("other", "acme widgets broke")
    store = Store()
    source = make_source(brand_handles=["acmehelp", "acme_old"])  # renamed, say
    store.poll(source, xclock)
    assert store.errors == []
    assert {mention, found} <= set(store.seen)
    (error,) = [e for b in store.batches for e in b.errors]
    assert "@acme_old" in error and "brand_accounts.x" in error and "@acmehelp" not in error

    def lookups() -> int:
        return len([r for r in emulator.requests if r.path == "/2/users/by"])

    assert lookups() == 1
    xclock.advance(timedelta(minutes=10))
    store.poll(source, xclock)
    assert lookups() == 1
    emulator.add_user("acme_old")  # the handle is back
    xclock.advance(timedelta(minutes=6))
    later = emulator.add_tweet("fan", "@acme_old thanks!")
    store.poll(source, xclock)
    assert store.errors == []
    assert lookups() == 2 and later in store.seen
    assert [e for b in store.batches[-3:] for e in b.errors] == []


def test_a_query_x_rejects_is_set_aside_and_the_mentions_are_read(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    mention = emulator.add_tweet("someone", "@acmehelp my parcel?")
    rejected = {"errors": [{"message": "There were errors processing your request"}]}
    search = r"^/2/tweets/search/recent"
    emulator.inject(Fault(status=400, body=rejected, path=search))
    store = Store()
    source = make_source()
    store.poll(source, xclock)
    assert store.errors == []
    assert mention in store.seen
    (error,) = [e for b in store.batches for e in b.errors]
    assert "x-main" in error and "400" in error and "set aside" in error

    def searches() -> int:
        return len([r for r in emulator.requests if re.search(search, r.path)])

    tried = searches()
    xclock.advance(timedelta(minutes=5))
    store.poll(source, xclock)
    assert searches() == tried, "set aside for 15 minutes"
    xclock.advance(timedelta(minutes=11))
    store.poll(source, xclock)
    assert searches() == tried + 1


def test_a_stream_x_answers_with_only_errors_is_set_aside_not_retried(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    # a 200 with "errors" and neither data nor meta: X refusing the stream, not a broken page
    mention = emulator.add_tweet("someone", "@acmehelp my parcel?")
    refused = {"errors": [{"title": "Forbidden", "detail": "not authorized"}]}
    emulator.inject(Fault.malformed(json.dumps(refused).encode(), path="search"))
    store = Store()
    store.poll(make_source(), xclock)
    assert store.errors == []  # the poller is not backing off
    assert mention in store.seen
    (error,) = [e for b in store.batches for e in b.errors]
    assert "x-main" in error and "not authorized" in error and "set aside" in error


def test_a_first_poll_reads_one_page_back_not_the_whole_search_window(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    ids = complaints(emulator, 25)
    store = Store()
    source = make_source(brand_handles=(), backfill_pages=1)
    store.poll(source, xclock)
    assert store.errors == []
    assert set(store.seen) == set(ids[-10:])  # the newest page
    newer = emulator.add_tweet("late", "acme again")
    store.poll(source, xclock)
    assert set(store.seen) == {*ids[-10:], newer}


def test_a_stream_back_after_a_week_recovers_from_a_stale_token_and_since_id(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    complaints(emulator, 25)
    store = Store()
    source = make_source(brand_handles=())
    store.poll(source, xclock)
    assert store.errors == []
    complaints(emulator, 25, tag="again")
    store.commit(source.fetch(store.cursor))  # a page, then a week away
    emulator.forget_paging_tokens()
    xclock.advance(timedelta(days=8))
    newest = emulator.add_tweet("now", "acme today")
    store.poll(source, xclock)
    assert store.errors == []
    assert store.seen[newest] == 1 and max(store.seen.values()) == 1
    assert [e for b in store.batches for e in b.errors] == []


# ------------------------------------------------------------------------------- queries


def test_two_hundred_terms_split_into_queries_the_emulator_accepts(
    emulator: XEmulator, make_source: Callable[..., XSource], xclock: FakeClock
) -> None:
    terms = [f"product {i:03d}" if i % 2 else f"brand{i:03d}" for i in range(200)]
    queries = build_queries(terms, languages=("en", "de"))
    assert len(queries) > 1
    assert all(len(q) <= 512 and q.endswith(" -is:retweet (lang:en OR lang:de)") for q in queries)
    joined = " ".join(queries)
    assert all(('"' + t + '"' if " " in t else t) in joined for t in terms)
    hit = emulator.add_tweet("kim", "product 199 is bad", lang="de")
    emulator.add_tweet("lee", "product 199 is bad", lang="fr")  # filtered by language
    store = Store()
    store.poll(make_source(terms=terms, languages=("en", "de"), brand_handles=()), xclock)
    assert set(store.seen) == {hit}
    searches = [r for r in emulator.requests if r.path == "/2/tweets/search/recent"]
    assert len(searches) == len(queries)


def test_quoting() -> None:
    (query,) = build_queries(['say "hi"', "@acme", "$ACME", "or", "a-b"], include_retweets=True)
    assert query == r'("say \"hi\"" OR @acme OR $ACME OR "or" OR "a-b")'
    with pytest.raises(ConfigError):
        build_queries(["x" * 600])


# ------------------------------------------------------------------------------- replies


def test_reply_then_find_reply(emulator: XEmulator, make_source: Callable[..., XSource]) -> None:
    complaint = emulator.add_tweet("mo", "@acmehelp broken again")
    other = emulator.add_tweet("ned", "@acmehelp also broken")
    source = make_source()
    assert source.find_reply(complaint) is None
    reply_id = source.reply(complaint, "Sorry! We are on it.")
    assert emulator.tweets[int(reply_id)]["referenced_tweets"] == [
        {"type": "replied_to", "id": complaint}
    ]
    assert source.find_reply(complaint) == reply_id
    assert source.find_reply(other) is None
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert posts[0].json()["reply"] == {"in_reply_to_tweet_id": complaint}
    assert posts[0].headers["authorization"].startswith("OAuth ")


def test_find_reply_raises_rather_than_guess(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    complaint = emulator.add_tweet("mo", "@acmehelp broken again")
    source = make_source()
    emulator.inject(Fault.server_error(503, path="/tweets$"))
    with pytest.raises(SourceUnavailable):
        source.find_reply(complaint)


def test_reply_needs_user_credentials(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    complaint = emulator.add_tweet("mo", "@acmehelp broken again")
    source = make_source(consumer_key=None)
    with pytest.raises(AuthError, match="consumer_key"):
        source.reply(complaint, "hi")
    wrong = make_source(access_token_secret="not-the-secret")
    before = len(emulator.tweets)
    with pytest.raises(AuthError):  # the emulator checks the OAuth 1.0a signature
        wrong.reply(complaint, "hi")
    assert len(emulator.tweets) == before


# ------------------------------------------------------------------------------- parsing


def test_an_unreadable_tweet_is_skipped_and_counted(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    good = str(snowflake(1_790_000_000_000))
    body = {
        "data": [
            {"id": "not-a-number", "text": "?"},
            {"id": "9" * 40, "text": "acme"},  # a "snowflake" past any date
            {"id": good, "text": "acme ok"},
        ],
        "meta": {"result_count": 3, "newest_id": good, "oldest_id": good},
    }
    emulator.inject(Fault.malformed(body=json.dumps(body).encode()))
    batch = make_source(brand_handles=()).fetch(None)
    assert [p.native_id for p in batch.posts] == [good]
    assert batch.skipped == 2


def test_a_long_post_arrives_whole(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    # X sends a long post's first 280 characters in "text", the rest only in note_tweet
    text = "Long week, long story. " * 14 + "Then my acme widget caught fire. Refund now!"
    emulator.add_tweet("kay", text)
    (post,) = make_source(brand_handles=()).fetch(None).posts
    assert post.text == text
    assert len(emulator.tweets[int(post.native_id)]["text"]) == 280


def test_html_escaped_text_arrives_as_typed(
    emulator: XEmulator, make_source: Callable[..., XSource]
) -> None:
    # X v2 sends text with & < > HTML-escaped (the emulator too); a term like "AT&T" must
    # match the stored text, and a literal "&amp;" someone typed must stay as typed
    short = "AT&T <3 acme & H&M -> refund? literally typed: &amp;"
    long = "Long week, long story. " * 14 + "Then AT&T & my acme widget <broke>. Refund!"
    ids = [emulator.add_tweet("kay", short), emulator.add_tweet("lou", long)]
    batch = make_source(brand_handles=(), terms=["AT&T", "acme"]).fetch(None)
    assert {p.native_id: p.text for p in batch.posts} == dict(zip(ids, [short, long], strict=True))


def test_tweet_fields_map_onto_the_post() -> None:
    users = {"7": {"id": "7", "username": "kay", "name": "Kay", "public_metrics": {}}}
    tweet_id = str(snowflake(1_790_000_000_000))
    post = tweet_to_post(
        {"id": tweet_id, "text": "hm", "author_id": "7", "lang": "und"}, users, None
    )
    assert post.lang is None  # X's "undetermined" is not a language
    assert post.created_at == snowflake_time(tweet_id)
    assert post.created_at.timestamp() == 1_790_000_000
    assert post.url == f"https://x.com/kay/status/{tweet_id}"
    unknown = tweet_to_post({"id": tweet_id, "text": "hm", "author_id": "8"}, users, None)
    assert (unknown.author.native_id, unknown.url) == ("8", f"https://x.com/i/status/{tweet_id}")
    with pytest.raises(ValueError):
        tweet_to_post({"id": "x1", "text": "hm"}, users, None)


def test_an_edit_maps_onto_the_post_it_edits() -> None:
    users = {"7": {"id": "7", "username": "kay", "name": "Kay", "public_metrics": {}}}
    history = ["1577158996984987648", "1577159100026490881", "1577162244978139137"]
    edit = {"id": history[2], "text": "v3", "author_id": "7", "edit_history_tweet_ids": history}
    post = tweet_to_post(edit, users, None)
    assert (post.native_id, post.version) == (history[0], history[2])
    assert post.url == f"https://x.com/kay/status/{history[2]}"  # the version seen
    first = tweet_to_post({**edit, "id": history[0]}, users, None)
    assert (first.native_id, first.version) == (history[0], None)
    # a reply to any version refers to the first, given the referenced tweets' histories
    reply = {
        "id": "1577162244978139999",
        "text": "@kay sorry",
        "author_id": "7",
        "referenced_tweets": [{"type": "replied_to", "id": history[2]}],
    }
    assert tweet_to_post(reply, users, None).in_reply_to == history[2]
    roots = {history[2]: history[0]}
    assert tweet_to_post(reply, users, None, roots).in_reply_to == history[0]
    for odd in (None, [], ["not-an-id"], "1577158996984987648"):  # read as no history
        tweet = {**edit, "edit_history_tweet_ids": odd}
        assert tweet_to_post(tweet, users, None).native_id == history[2]
