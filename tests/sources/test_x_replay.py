"""Real X API v2 responses (recorded by tweepy's own test suite) replayed through the emulator.

The recordings were made without expansions or ``tweet.fields``, so they carry no
``author_id`` and no ``created_at``: the source falls back to the snowflake time of the id and,
for a user's own timeline, to that user as author. That is the shape this test pins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sources.x import XSource
from tests.emulators.x import XEmulator

_REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = [
    _REPO / "shared" / "fixtures" / "x-api-v2",
    _REPO.parent / "shared" / "fixtures" / "x-api-v2",
]
FIXTURES = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[-1])


def recording(name: str) -> list[dict[str, Any]]:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"recorded X traffic not found at {path} (../shared is absent)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def emulator() -> Iterator[XEmulator]:
    with XEmulator() as em:
        yield em


def make(emulator: XEmulator, **options: Any) -> XSource:
    return XSource("x-replay", bearer_token="emulator-bearer", api_url=emulator.url, **options)


def test_recorded_search_parses_into_posts(emulator: XEmulator) -> None:
    entries = recording("search_recent_tweets.json")
    emulator.replay(entries)
    body = entries[0]["response"]["body"]
    source = make(emulator, terms=["Tweepy"], backfill_pages=2)
    try:
        batch = source.fetch(None)
    finally:
        source.close()
    assert [p.native_id for p in batch.posts] == [t["id"] for t in body["data"]]
    assert batch.more  # the recording has a next_token: the stream is mid-paging
    (state,) = batch.cursor["streams"].values()
    meta = body["meta"]
    assert state == {"next_token": meta["next_token"], "newest": meta["newest_id"], "pages": 1}
    for post in batch.posts:
        assert post.platform == "x" and post.kind == "post"
        # tweepy's test bot wrote its own send time into each tweet: the id's snowflake agrees.
        stamp = re.match(r"(\S+ \S+) tweepy", post.text)
        assert stamp is not None
        sent = datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
        assert abs((post.created_at - sent).total_seconds()) < 2
        assert post.url == f"https://x.com/i/status/{post.native_id}"
    # what the source asked for, even though the recording ignores it
    (request,) = [r for r in emulator.requests if r.path == "/2/tweets/search/recent"]
    assert (
        request.arg("query") == "Tweepy -is:retweet"
        or request.arg("query") == "(Tweepy) -is:retweet"
    )
    assert request.arg("expansions") == (
        "author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id"
    )


def test_recorded_mentions_and_timeline_parse_into_posts(emulator: XEmulator) -> None:
    mentions = recording("get_users_mentions.json")
    timeline = recording("get_users_tweets.json")
    emulator.replay(mentions + timeline)
    # Past the recorded first pages the live model answers, so it needs the account too.
    emulator.add_user("Twitter", user_id="783214")
    source = make(emulator, terms=(), brand_user_ids=["783214"], brand_handles=["Twitter"])
    try:
        first = source.fetch(None)
        batch = first
        while batch.extra["stream"] != "tweets:783214":
            # The recorded next_token means nothing to the emulator (400, like an expired
            # token at X): the source restarts the stream and moves on.
            batch = source.fetch(batch.cursor)
        second = batch
    finally:
        source.close()
    assert first.extra["stream"] == "mentions:783214"
    assert [p.native_id for p in first.posts] == [
        t["id"] for t in mentions[0]["response"]["body"]["data"]
    ]
    assert all("@twitter" in p.text.lower() for p in first.posts)
    assert second.extra["stream"] == "tweets:783214"
    assert len(second.posts) == 2
    assert {(p.author.native_id, p.author.handle) for p in second.posts} == {("783214", "Twitter")}
    assert second.posts[0].text.startswith("whoa, it works")
