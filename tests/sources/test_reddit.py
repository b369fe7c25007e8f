"""The Reddit source: real praw against the local emulator, no mocks.

The promise under test: across paging, restarts and every injected fault, each post in the
emulated timeline comes back exactly once, and a failed fetch never moves the cursor.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest_reddit import (
    BRAND,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    TERMS,
    PollerSim,
    emulator,
    make_source,
)

from monitor.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from sources.base import Replier, Source
from sources.reddit import ANCHOR_RETRIES, MAX_QUERY_CHARS, RedditSource, build_queries
from tests.emulators.http import Fault
from tests.emulators.reddit import RedditEmulator

__all__ = ["emulator"]  # the fixture, imported from conftest_reddit

LISTINGS = r"^/(r|user|message)/"


def expected(
    emu: RedditEmulator, *, subreddits: tuple[str, ...] = ("acme",), search_all: bool = False
) -> set[str]:
    """What the source should return from the emulator's whole timeline."""
    subs = {s.lower() for s in subreddits}
    everywhere = search_all or not subs
    out = set()
    for thing in emu.things:
        data = thing["data"]
        in_subs = data["subreddit"].lower() in subs
        text = f"{data.get('title', '')} {data.get('selftext', '')}".lower()
        if thing["kind"] == "t3" and (in_subs or (everywhere and any(t in text for t in TERMS))):
            out.add(data["name"])
        if thing["kind"] == "t1" and (
            in_subs or data["author"] == BRAND or f"u/{BRAND}" in data["body"]
        ):
            out.add(data["name"])
    return out


def grow(emu: RedditEmulator, n: int, *, sub: str = "acme", prefix: str = "post") -> list[str]:
    """``n`` submissions mentioning acme, one second apart, each with a comment or two."""
    names = []
    for i in range(n):
        emu.advance(1)
        post = emu.add_submission(sub, f"{prefix} {i} about Acme", "the widget pro broke")
        names.append(post)
        names.append(emu.add_comment(post, f"me too {i}"))
        if i % 3 == 0:  # same second as the comment: ties in created_utc
            names.append(emu.add_comment(post, f"ping u/{BRAND} please", author="customer"))
        if i % 4 == 0:
            names.append(emu.add_comment(post, "Sorry, we are on it!", author=BRAND))
    return names


# ------------------------------------------------------------------------------ contract


def test_implements_source_and_replier(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    assert isinstance(source, Source) and isinstance(source, Replier)
    assert source.platform == "reddit"
    keys = source.stream_keys
    assert [k.split(":")[0] for k in keys] == ["search", "new", "comments", "mentions", "own"]


@pytest.mark.parametrize(
    ("subreddits", "search_all"),
    [(("acme",), False), ((), False), (("acme",), True)],
    ids=["subreddits", "all-of-reddit", "subreddits-and-search-all"],
)
def test_every_post_exactly_once_across_paging_and_restarts(
    emulator: RedditEmulator, subreddits: tuple[str, ...], search_all: bool
) -> None:
    def source() -> RedditSource:
        return make_source(emulator, subreddits=subreddits, search_all=search_all, page_size=4)

    emulator.add_submission("acme", "Acme first post")
    emulator.add_submission("elsewhere", "unrelated")
    sim = PollerSim()
    assert sim.poll(source()) is None

    # More than one page per stream arrives between polls, some of it elsewhere on Reddit.
    grow(emulator, 9)
    grow(emulator, 3, sub="elsewhere", prefix="offsite")
    emulator.advance(30)
    restarted = source()
    assert sim.poll(restarted) is None
    assert sum(len(b.posts) for b in sim.batches) == len(sim.counts)

    # A restart in the middle of a cycle, mid-paging: carry on from the saved cursor.
    grow(emulator, 7)
    emulator.advance(30)
    first = source()
    for _ in range(3):
        assert sim.fetch_once(first).more
    assert sim.cursor is not None and any("scan" in s for s in sim.cursor["streams"].values())
    assert sim.poll(source()) is None

    assert sim.duplicates() == {}
    assert set(sim.counts) == expected(emulator, subreddits=subreddits, search_all=search_all)
    own = [p for p in sim.posts.values() if p.author.handle == BRAND]
    assert own and all(p.kind == "comment" and p.in_reply_to for p in own)


def backlog_after_first_poll(emulator: RedditEmulator, n: int) -> tuple[RedditSource, PollerSim]:
    """A source polled once (every stream has a mark), then ``n`` new posts in r/acme."""
    source = make_source(emulator, search=False, password=None, page_size=10)
    sim = PollerSim()
    emulator.add_submission("acme", "old Acme post")
    assert sim.poll(source) is None
    emulator.advance(3600)
    for i in range(n):
        emulator.advance(5)
        emulator.add_submission("acme", f"Acme widget broke {i}")
    emulator.advance(5)
    return source, sim


def test_an_anchor_removed_mid_paging_restarts_from_the_top_and_misses_nothing(
    emulator: RedditEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # Reddit answers an empty page for an ``after`` item that is gone, as at the end of the
    # listing: taken for the end, the new mark would skip every item not read yet
    source, sim = backlog_after_first_poll(emulator, 35)
    backlog = expected(emulator) - set(sim.counts)
    batch = sim.fetch_once(source)
    assert batch.extra["stream"] == "new:acme" and batch.more
    assert sim.cursor is not None
    anchor = sim.cursor["streams"]["new:acme"]["scan"]["after"]
    emulator.remove(anchor)  # the spam filter, before the next page is read
    with caplog.at_level("WARNING", logger="sources.reddit"):
        assert sim.poll(source) is None
    assert backlog - set(sim.counts) == set()  # the anchor itself came with the first page
    assert sim.duplicates() == {}
    assert "gone; reading again from the newest" in caplog.text


def test_a_listing_that_keeps_ending_early_keeps_its_mark_then_gives_up(
    emulator: RedditEmulator,
) -> None:
    # every page after the first comes back empty: restarted once per poll, then the mark is
    # kept for the next poll, and after ANCHOR_RETRIES polls the end is believed (no loop)
    source, sim = backlog_after_first_poll(emulator, 35)
    assert sim.cursor is not None
    old_mark = sim.cursor["streams"]["new:acme"]["hwm"]

    def poll_removing_each_anchor() -> None:
        for _ in range(20):
            assert sim.cursor is not None
            scan = sim.cursor["streams"]["new:acme"].get("scan") or {}
            if scan.get("after"):
                emulator.remove(scan["after"])
            if not sim.fetch_once(source).more:
                return
        raise AssertionError("the poll cycle did not end")

    for _ in range(ANCHOR_RETRIES - 1):
        sent = len(emulator.api_requests("/r/acme/new"))
        poll_removing_each_anchor()
        assert len(emulator.api_requests("/r/acme/new")) == sent + 4  # two passes of 2 pages
        assert sim.cursor["streams"]["new:acme"]["hwm"] == old_mark
        emulator.advance(60)
    poll_removing_each_anchor()
    assert sim.cursor["streams"]["new:acme"]["hwm"] > old_mark
    assert "scan" not in sim.cursor["streams"]["new:acme"]


def test_quiet_poll_costs_one_request_per_stream(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    sim = PollerSim()
    sim.poll(source)
    before = len(emulator.api_requests())
    emulator.advance(120)
    assert sim.poll(source) is None
    assert len(emulator.api_requests()) - before == len(source.stream_keys)
    assert sim.batches[-1].posts == []


def test_cursor_stays_small_over_many_polls(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    sim = PollerSim()
    for _ in range(20):
        grow(emulator, 2)
        emulator.advance(120)
        assert sim.poll(source) is None
    assert sim.cursor is not None
    horizon = emulator.now - 600 - 120  # the search overlap plus one interval
    assert all(created >= horizon for created in sim.cursor["seen"].values())
    assert len(json.dumps(sim.cursor)) < 4000
    assert sim.duplicates() == {} and set(sim.counts) == expected(emulator)


def test_late_indexed_search_result_within_the_lag_is_found_once(
    emulator: RedditEmulator,
) -> None:
    source = make_source(emulator, subreddits=(), brand_username=None, password=None)
    sim = PollerSim()
    emulator.add_submission("anywhere", "acme news")
    sim.poll(source)
    emulator.advance(300)
    emulator.add_submission("anywhere", "newer acme news")
    sim.poll(source)
    # Reddit's search index can show a post minutes after it was made.
    late = emulator.add_submission("anywhere", "acme, indexed late", created_utc=emulator.now - 200)
    emulator.advance(60)
    sim.poll(source)
    assert late in sim.counts
    assert sim.duplicates() == {}


def test_first_poll_of_an_empty_stream_watches_from_now(emulator: RedditEmulator) -> None:
    source = make_source(emulator, page_size=3)
    sim = PollerSim()
    sim.poll(source)  # nothing anywhere yet
    grow(emulator, 6)
    sim.poll(source)
    assert set(sim.counts) == expected(emulator)
    assert sim.duplicates() == {}


# ------------------------------------------------------------------------------ posts


def test_a_local_clock_minutes_ahead_of_reddit_misses_nothing(emulator: RedditEmulator) -> None:
    """Positions are compared with ``created_utc``, Reddit's time: they come from its Date
    header, not from a local clock that may have drifted."""

    def ahead() -> datetime:
        return emulator.clock() + timedelta(minutes=5)

    source = make_source(emulator, clock=ahead)
    sim = PollerSim()
    assert sim.poll(source) is None  # quiet streams: their mark is "now"
    emulator.advance(30)
    posted = emulator.add_submission("acme", "my acme kettle leaks")
    comment = emulator.add_comment(posted, "mine too")
    emulator.advance(30)
    assert sim.poll(source) is None
    assert {posted, comment} <= set(sim.counts)
    assert sim.duplicates() == {}


def test_posts_are_well_formed(emulator: RedditEmulator) -> None:
    original = emulator.add_submission("acme", "Acme launch", "so shiny", author="fan")
    cross = emulator.add_submission("acme", "Acme launch (xpost)", crosspost_parent=original)
    comment = emulator.add_comment(original, "love it")
    reply = emulator.add_comment(comment, "me too")
    sim = PollerSim()
    sim.poll(make_source(emulator))
    post = sim.posts[original]
    assert post.platform == "reddit" and post.kind == "post"
    assert post.text == "Acme launch\n\nso shiny"
    assert post.author.handle == "fan" and post.author.native_id.startswith("t2_")
    assert post.author.followers is None
    assert post.created_at.tzinfo is UTC and post.created_at.timestamp() == emulator.now
    assert post.url == f"https://www.reddit.com/r/acme/comments/{original[3:]}/acme_launch/"
    assert post.conversation_id == original and post.in_reply_to is None
    assert sim.posts[cross].repost_of == original
    assert sim.posts[comment].kind == "comment"
    assert sim.posts[comment].in_reply_to == original
    assert sim.posts[reply].in_reply_to == comment
    assert sim.posts[reply].conversation_id == original
    assert sim.posts[reply].url and sim.posts[reply].url.endswith(f"/{reply[3:]}/")


def test_a_crosspost_brings_in_the_post_it_shares(emulator: RedditEmulator) -> None:
    """The complaint was posted in a subreddit nobody watches and crossposted into a watched
    one: the original comes ahead of the crosspost, once, as its author wrote it, so its
    case opens on it; a later crosspost of it does not bring it again."""
    original = emulator.add_submission("kettles", "My acme kettle broke", "refund?", author="dana")
    emulator.advance(60)
    cross = emulator.add_submission("acme", "My acme kettle broke", crosspost_parent=original)
    source = make_source(emulator)
    sim = PollerSim()
    assert sim.poll(source) is None
    got = sim.posts[original]
    assert (got.author.handle, got.text, got.repost_of) == (
        "dana",
        "My acme kettle broke\n\nrefund?",
        None,
    )
    assert got.url is not None and "/r/kettles/comments/" in got.url
    assert sim.posts[cross].repost_of == original
    order = [p.native_id for b in sim.batches for p in b.posts]
    assert order.index(original) < order.index(cross)
    emulator.advance(60)
    again = emulator.add_submission("acme", "xpost: my acme kettle", crosspost_parent=original)
    assert sim.poll(source) is None
    assert sim.posts[again].repost_of == original
    assert sim.counts[original] == 1 and sim.duplicates() == {}


def test_an_unreadable_crossposted_copy_loses_only_itself(emulator: RedditEmulator) -> None:
    original = emulator.add_submission("kettles", "My acme kettle broke", author="dana")
    emulator.advance(60)
    cross = emulator.add_submission("acme", "My acme kettle broke", crosspost_parent=original)
    emulator._by_name[cross]["data"]["crosspost_parent_list"] = [{"title": "no id, no time"}]
    sim = PollerSim()
    assert sim.poll(make_source(emulator)) is None
    assert set(sim.posts) == {cross} and sim.posts[cross].repost_of == original


def test_mention_elsewhere_comes_from_the_inbox(emulator: RedditEmulator) -> None:
    post = emulator.add_submission("random", "my kettle")  # no watch term, not our subreddit
    mention = emulator.add_comment(post, f"asking u/{BRAND} for help", author="customer")
    sim = PollerSim()
    sim.poll(make_source(emulator))
    assert set(sim.counts) == {mention}
    found = sim.posts[mention]
    assert found.kind == "comment" and found.in_reply_to == post
    assert found.conversation_id == post  # the inbox has no link_id: taken from the context
    assert (
        found.url == f"https://www.reddit.com/r/random/comments/{post[3:]}/my_kettle/{mention[3:]}/"
    )


def test_unparseable_item_is_counted_as_skipped(emulator: RedditEmulator) -> None:
    good = {"kind": "t3", "data": {"name": "t3_good", "created_utc": emulator.now, "title": "x"}}
    bad = {"kind": "t3", "data": {"name": "t3_bad", "title": "no created_utc"}}
    listing = {"kind": "Listing", "data": {"after": None, "children": [good, bad]}}
    emulator.serve_recorded("GET", "/r/acme/new", listing)
    sim = PollerSim()
    sim.poll(make_source(emulator))
    assert "t3_good" in sim.counts and "t3_bad" not in sim.counts
    assert sum(b.skipped for b in sim.batches) == 1


# ------------------------------------------------------------------------------ faults


FAULTS = {
    "429": (lambda emu: emu.rate_limit_fault(42, path=LISTINGS), RateLimited),
    "503": (lambda emu: Fault.server_error(503, path=LISTINGS), SourceUnavailable),
    "timeout": (lambda emu: Fault.timeout(1.0, path=LISTINGS), SourceUnavailable),
    "dropped": (lambda emu: Fault(drop=True, path=LISTINGS), SourceUnavailable),
    "truncated": (lambda emu: Fault.truncated(40, path=LISTINGS), MalformedResponse),
    "malformed": (lambda emu: Fault.malformed(path=LISTINGS), MalformedResponse),
    "not-a-listing": (
        lambda emu: Fault.malformed(body=b'{"kind": "t3", "data": []}', path=LISTINGS),
        MalformedResponse,
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_failure_mid_paging_keeps_the_cursor_and_the_next_poll_recovers(
    emulator: RedditEmulator, fault: str
) -> None:
    make_fault, error = FAULTS[fault]
    source = make_source(emulator, page_size=3, timeout_s=0.3)
    sim = PollerSim()
    sim.poll(source)
    grow(emulator, 8)
    emulator.advance(10)

    sim.fetch_once(source)  # the first page of the search stream
    committed = json.dumps(sim.cursor, sort_keys=True)
    sent = len(emulator.api_requests())
    emulator.inject(make_fault(emulator))
    started = time.monotonic()
    failure = sim.poll(source)

    assert isinstance(failure, error), failure
    assert failure.source == "reddit-test"
    assert json.dumps(sim.cursor, sort_keys=True) == committed
    assert len(emulator.api_requests()) == sent + 1, "prawcore must not retry inside a fetch"
    assert time.monotonic() - started < 5.0, "nothing may sleep inside a fetch"

    if isinstance(failure, RateLimited):
        assert failure.retry_after_s == 42
        emulator.advance(42)
    assert sim.poll(source) is None
    assert sim.duplicates() == {}
    assert set(sim.counts) == expected(emulator)


def test_429_gives_retry_after_from_reset_and_resumes_after_waiting(
    emulator: RedditEmulator,
) -> None:
    source = make_source(emulator)
    sim = PollerSim()
    emulator.inject(emulator.rate_limit_fault(37, path=LISTINGS))
    with pytest.raises(RateLimited) as caught:
        source.fetch(None)
    assert caught.value.retry_after_s == 37
    assert "reddit-test" in str(caught.value)

    sent = len(emulator.api_requests())
    emulator.advance(30)  # still inside the window: no request goes out
    with pytest.raises(RateLimited) as again:
        source.fetch(None)
    assert again.value.retry_after_s == pytest.approx(7, abs=1)
    assert len(emulator.api_requests()) == sent

    emulator.advance(7)
    emulator.add_submission("acme", "acme is back")
    assert sim.poll(source) is None
    assert set(sim.counts) == expected(emulator)


def test_budget_is_planned_so_reddit_never_answers_429(emulator: RedditEmulator) -> None:
    emulator.budget = 12
    source = make_source(emulator, reserve_requests=2)  # 5 streams: 5 requests a cycle
    sim = PollerSim()
    assert sim.poll(source) is None
    emulator.advance(60)
    assert sim.poll(source) is None
    paced = sim.batches[-1].next_poll_after_s
    assert paced == pytest.approx(600 - 60, abs=2), "low budget: wait for the reset"

    emulator.advance(10)
    emulator.add_submission("acme", "acme during the drought")
    failure = sim.poll(source)
    assert isinstance(failure, RateLimited)
    assert failure.retry_after_s == pytest.approx(600 - 70, abs=2)
    assert emulator.used == 10, "the budget check happens before the request"

    emulator.advance(failure.retry_after_s)
    assert sim.poll(source) is None
    assert set(sim.counts) == expected(emulator)


def test_expired_token_is_renewed_transparently(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    sim = PollerSim()
    sim.poll(source)
    emulator.revoke_tokens()
    emulator.add_submission("acme", "acme after the token expired")
    assert sim.poll(source) is None
    assert set(sim.counts) == expected(emulator)


def test_bad_client_credentials_are_an_auth_error_without_secrets(
    emulator: RedditEmulator,
) -> None:
    source = make_source(emulator, client_secret="wrong-secret-value")
    with pytest.raises(AuthError) as caught:
        source.fetch(None)
    message = str(caught.value)
    assert "reddit-test" in message and "token exchange" in message
    assert "wrong-secret-value" not in message and "hunter2" not in message


def test_bad_brand_password_pauses_only_the_brand_streams(emulator: RedditEmulator) -> None:
    source = make_source(emulator, password="not-the-password")
    emulator.add_submission("acme", "acme still heard")
    sim = PollerSim()
    assert sim.poll(source) is None  # listening goes on without the inbox
    assert set(sim.counts) == {t["data"]["name"] for t in emulator.things}
    errors = [e for b in sim.batches for e in b.errors]
    assert len(errors) == 1 and "invalid_grant" in errors[0]
    assert "reddit-test" in errors[0] and "not-the-password" not in errors[0]

    def logins() -> int:
        return sum("password" in r.body.decode() for r in emulator.requests)

    tried = logins()
    emulator.advance(300)
    sim.poll(source)
    assert logins() == tried, "no new login attempt inside 15 minutes"
    emulator.advance(900)
    sim.poll(source)
    assert logins() == tried + 1


def test_token_endpoint_outage_is_unavailable(emulator: RedditEmulator) -> None:
    emulator.inject(Fault.server_error(503, path="access_token"))
    with pytest.raises(SourceUnavailable):
        make_source(emulator).fetch(None)


# ------------------------------------------------------------------------------ replies


def test_reply_posts_once_and_find_reply_finds_it(emulator: RedditEmulator) -> None:
    submission = emulator.add_submission("acme", "my acme broke")
    comment = emulator.add_comment(submission, "mine too")
    source = make_source(emulator)
    assert source.find_reply(submission) is None

    to_post = source.reply(submission, "Sorry to hear that, DM us!")
    to_comment = source.reply(comment, "We are on it.")
    assert to_post.startswith("t1_") and to_comment.startswith("t1_")
    assert len(emulator.api_requests("/api/comment")) == 2
    assert source.find_reply(submission) == to_post
    assert source.find_reply(comment) == to_comment

    sim = PollerSim()
    sim.poll(source)
    assert sim.posts[to_post].author.handle == BRAND
    assert sim.posts[to_post].in_reply_to == submission


def brand_answers(emulator: RedditEmulator, n: int, *, tag: str) -> None:
    """``n`` more comments by the brand on other posts, a second apart."""
    for i in range(n):
        emulator.advance(1)
        other = emulator.add_submission("acme", f"other {tag} {i}")
        emulator.add_comment(other, f"answer {tag} {i}", author=BRAND)


def test_find_reply_pages_back_until_older_than_the_post(emulator: RedditEmulator) -> None:
    # None tells the sender a resend is safe: a reply below the latest 100 must be found
    source = make_source(emulator)
    brand_answers(emulator, 150, tag="before")  # older than both posts: never needed
    answered = emulator.add_submission("acme", "Acme broke my widget")
    unanswered = emulator.add_submission("acme", "Acme broke mine too")
    emulator.advance(1)
    reply = source.reply(answered, "Sorry about that, we are on it")
    brand_answers(emulator, 120, tag="after")
    assert source.find_reply(answered) == reply
    sent = len(emulator.api_requests(f"/user/{BRAND}/comments"))
    assert source.find_reply(unanswered) is None
    # 121 comments are newer than the post: the second page reaches older ones and stops
    assert len(emulator.api_requests(f"/user/{BRAND}/comments")) == sent + 2


#: What Reddit answers for ``after=<an item since deleted>``, and past a listing's end.
EMPTY_LISTING = json.dumps({"kind": "Listing", "data": {"after": None, "children": []}}).encode()


def test_find_reply_raises_when_it_cannot_read_far_enough(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    post = emulator.add_submission("acme", "Acme broke my widget")
    brand_answers(emulator, 120, tag="after")
    emulator.inject_later(Fault.server_error(503, path="/comments"), after=1)
    with pytest.raises(SourceUnavailable):
        source.find_reply(post)  # the first page had no reply, the second failed
    emulator.inject_later(Fault.malformed(EMPTY_LISTING, path="/comments"), after=1)
    with pytest.raises(SourceError, match="gone"):  # the page's anchor deleted meanwhile
        source.find_reply(post)
    assert source.find_reply(post) is None


def test_reply_posted_without_an_id_is_found_not_resent(emulator: RedditEmulator) -> None:
    submission = emulator.add_submission("quarantined", "acme?")
    emulator.reply_without_id = True  # praw's reply() returns None, yet the comment exists
    source = make_source(emulator)
    reply = source.reply(submission, "Hello from Acme")
    assert len(emulator.api_requests("/api/comment")) == 1
    assert reply == source.find_reply(submission)
    assert emulator._by_name[reply]["data"]["parent_id"] == submission


def test_reply_ratelimit_error_is_rate_limited_without_sleeping(emulator: RedditEmulator) -> None:
    submission = emulator.add_submission("acme", "acme?")
    message = "Looks like you've been doing that a lot. Take a break for 5 minutes."
    body = {"json": {"errors": [["RATELIMIT", message, "ratelimit"]]}}
    emulator.inject(Fault(status=200, body=body, path="/api/comment"))
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        make_source(emulator).reply(submission, "hi")
    assert caught.value.retry_after_s == 300
    assert time.monotonic() - started < 1.0
    assert len(emulator.api_requests("/api/comment")) == 1


def test_a_subreddit_gone_private_is_set_aside_and_the_other_streams_go_on(
    emulator: RedditEmulator,
) -> None:
    source = make_source(emulator, subreddits=("acme", "acmefans"), search_all=True)
    sim = PollerSim()
    assert sim.poll(source) is None
    listings = r"^/r/acme\+acmefans/(new|comments)"
    emulator.private.add("acmefans")
    post = emulator.add_submission("elsewhere", "Acme ate my order")
    answer = emulator.add_comment(post, "Sorry! DM us", author=BRAND)
    during = emulator.add_submission("acme", "a new flavour, posted meanwhile")
    assert sim.poll(source) is None  # no error raised: the cycle went on
    assert {post, answer} <= set(sim.counts), "search and the brand's replies are still read"
    assert during not in sim.counts
    errors = [e for b in sim.batches for e in b.errors]
    assert len(errors) == 2 and all("r/acmefans" in e and "private" in e for e in errors)
    assert all("403" in e and "reddit-test" in e for e in errors)

    tried = len(emulator.api_requests(listings))
    emulator.advance(600)
    assert sim.poll(source) is None
    assert len(emulator.api_requests(listings)) == tried, "set aside for 15 minutes"
    emulator.private.clear()
    emulator.advance(301)
    assert sim.poll(source) is None
    assert during in sim.counts, "the stream kept its position and caught up"
    assert sim.duplicates() == {}
    assert set(sim.counts) == expected(emulator, subreddits=("acme", "acmefans"), search_all=True)


def test_unknown_subreddit_is_set_aside_with_a_clear_message(emulator: RedditEmulator) -> None:
    emulator.inject(Fault(status=404, body={"error": 404}, path="/r/acme/new"))
    cursor = {"v": 1, "pending": ["new:acme", "comments:acme"], "streams": {}}
    batch = make_source(emulator).fetch(cursor)
    assert batch.more and batch.posts == []
    (error,) = batch.errors
    assert "not found" in error and "r/acme" in error and "fix the source's subreddits" in error


def test_a_stream_failing_three_times_in_a_row_is_set_aside(emulator: RedditEmulator) -> None:
    source = make_source(emulator)
    sim = PollerSim()
    assert sim.poll(source) is None
    reply = emulator.add_comment(emulator.add_submission("elsewhere", "hi"), "ok", author=BRAND)
    emulator.inject(Fault.server_error(502, path=r"^/r/acme/new"), times=3)
    assert isinstance(sim.poll(source), SourceUnavailable)
    assert isinstance(sim.poll(source), SourceUnavailable)
    assert reply not in sim.counts
    assert sim.poll(source) is None  # the third failure sets it aside
    assert reply in sim.counts
    assert [e for b in sim.batches for e in b.errors if "new:acme" in e and "502" in e]


def test_failed_reply_is_never_resent_by_prawcore(emulator: RedditEmulator) -> None:
    submission = emulator.add_submission("acme", "my acme broke")
    source = make_source(emulator)
    emulator.inject(Fault.server_error(503, path="/api/comment"))
    with pytest.raises(SourceUnavailable):
        source.reply(submission, "Sorry!")
    assert len(emulator.api_requests("/api/comment")) == 1
    assert source.find_reply(submission) is None


def test_reply_needs_the_brand_account(emulator: RedditEmulator) -> None:
    source = make_source(emulator, password=None)
    with pytest.raises(AuthError, match="password"):
        source.reply("t3_abc", "hi")


def test_reply_rejected_by_reddit_is_a_source_error(emulator: RedditEmulator) -> None:
    with pytest.raises(SourceError, match="INVALID_THING_ID"):
        make_source(emulator).reply("t3_nothere", "hi")


# ------------------------------------------------------------------------------ queries


def test_queries_cover_200_terms_within_the_limit() -> None:
    terms = [f"product {i}" if i % 3 else f"brand{i}" for i in range(200)]
    queries = build_queries(terms)
    assert all(len(q) <= MAX_QUERY_CHARS for q in queries)
    clauses = [c for q in queries for c in q.split(" OR ")]
    assert [c.strip('"') for c in clauses] == terms
    assert '"product 1"' in clauses and "brand0" in clauses
    total = sum(len(c) for c in clauses) + 4 * (len(clauses) - 1)
    assert len(queries) <= -(-total // MAX_QUERY_CHARS) + 1  # greedy packing wastes < 1


def test_query_building_drops_quotes_and_repeats() -> None:
    assert build_queries(['say "hi"', "Acme", "acme", "  "]) == ['"say hi" OR Acme']
    with pytest.raises(ValueError, match="longer than"):
        build_queries(["x" * 600])


def test_nothing_to_read_is_a_config_mistake(emulator: RedditEmulator) -> None:
    with pytest.raises(ValueError, match="nothing to read"):
        make_source(emulator, terms=(), subreddits=(), brand_username=None, password=None)


def test_source_type_is_importable_without_network() -> None:
    assert RedditSource.platform == "reddit"


def test_wiring_builds_the_reddit_source(emulator: RedditEmulator) -> None:
    from monitor.settings import Settings
    from monitor.wiring import build_source

    environ = {"RID": CLIENT_ID, "RSECRET": CLIENT_SECRET, "RPASS": PASSWORD}
    settings = Settings.model_validate(
        {
            "brand_accounts": {"reddit": [{"handle": f"u/{BRAND}"}, {"handle": "acme_deals"}]},
            "entities": [
                {
                    "id": "acme",
                    "kind": "brand",
                    "name": "Acme",
                    "terms": list(TERMS),
                    "team": "support",
                }
            ],
            "teams": {"support": {"slack_channel": "#support"}},
            "sources": [
                {
                    "name": "reddit",
                    "type": "reddit",
                    "client_id": "env:RID",
                    "client_secret": "env:RSECRET",
                    "password": "env:RPASS",
                    "subreddits": ["acme"],
                    "api_url": emulator.url,
                    "auth_url": emulator.url,
                    "timeout": "5s",
                }
            ],
        },
        context={"environ": environ},
    )
    source = build_source(settings.sources[0], settings, clock=emulator.clock)
    assert isinstance(source, RedditSource)
    assert source.brand_username == BRAND
    assert [k.split(":")[0] for k in source.stream_keys] == [
        "search",
        "new",
        "comments",
        "mentions",
        "own",
        "own",
    ]
    emulator.add_submission("acme", "acme wired up")
    deal = emulator.add_submission("deals", "weekly thread")
    answer = emulator.add_comment(deal, "Our kettles are 20% off", author="acme_deals")
    sim = PollerSim()
    assert sim.poll(source) is None
    assert set(sim.counts) == expected(emulator) | {answer}  # every brand account's replies
