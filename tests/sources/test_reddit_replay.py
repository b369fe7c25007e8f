"""Recorded real Reddit traffic (``../shared/fixtures/reddit``) replayed through the emulator.

Each recorded listing is served on the path the source reads, and must parse, through real
praw, into one :class:`SourcePost` per ``t1``/``t3`` child; recorded ``/api/comment`` answers
must give praw's reply id. Skipped where ``../shared`` is absent (it may not be committed).
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest_reddit import PollerSim, emulator, make_source

from tests.emulators.reddit import RedditEmulator

__all__ = ["emulator"]  # the fixture, imported from conftest_reddit

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "reddit"
LISTINGS = [
    ("TestSubreddit.test_search.json", "/r/all/search"),
    ("TestSubredditListings.test_new.json", "/r/askreddit/new"),
    ("TestSubredditListings.test_comments.json", "/r/askreddit/comments"),
    ("TestSubredditStreams.test_comments__with_pause.json", "/r/kakapo/comments"),
    ("TestSubredditStreams.test_submissions.json", "/r/all/new"),
    ("TestInbox.test_mentions.json", "/message/mentions"),
]
REPLIES = ["TestSubmission.test_reply.json", "TestComment.test_reply.json"]


def recording(name: str) -> list[dict[str, Any]]:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"recorded fixtures absent ({path}); they live in ../shared, not the repo")
    return json.loads(path.read_text(encoding="utf-8"))


def recorded(name: str, path: str) -> tuple[dict[str, str], Any]:
    """The query and body of the first recorded answer to ``GET path``."""
    for exchange in recording(name):
        uri = urlsplit(exchange["request"]["uri"])
        if exchange["request"]["method"] == "GET" and uri.path.rstrip("/") == path:
            query = {k: v[0] for k, v in parse_qs(uri.query).items()}
            return query, exchange["response"]["body"]
    raise AssertionError(f"{name} has no GET {path}")


@pytest.mark.parametrize(("name", "path"), LISTINGS, ids=[n for n, _ in LISTINGS])
def test_recorded_listing_parses_into_posts(emulator: RedditEmulator, name: str, path: str) -> None:
    query, body = recorded(name, path)
    emulator.serve_recorded("GET", path, body)
    parts = path.strip("/").split("/")
    if parts[0] == "message":
        source = make_source(emulator, terms=(), subreddits=(), search=False)
    elif parts[-1] == "search":
        terms = (query["q"],)
        source = make_source(emulator, terms=terms, subreddits=(), brand_username=None)
    else:
        source = make_source(emulator, subreddits=(parts[1],), search=False, brand_username=None)

    sim = PollerSim()
    assert sim.poll(source) is None
    assert any(r.path.rstrip("/") == path for r in emulator.api_requests())

    children = [c for c in body["data"]["children"] if c["kind"] in ("t1", "t3")]
    assert children, "the recording should hold posts"
    assert len(sim.posts) == len({c["data"]["name"] for c in children})
    assert sum(b.skipped for b in sim.batches) == 0
    for child in children:
        data = child["data"]
        post = sim.posts[data["name"]]
        assert post.platform == "reddit"
        assert post.kind == ("post" if child["kind"] == "t3" else "comment")
        assert post.created_at.tzinfo is UTC
        assert post.created_at.timestamp() == data["created_utc"]
        assert post.author.handle == data["author"]
        assert post.url and post.url.startswith("https://www.reddit.com/r/")
        assert "?" not in post.url
        if child["kind"] == "t1":
            assert post.in_reply_to == data["parent_id"]
            link = data.get("link_id") or "t3_" + data["context"].split("/")[4]
            assert post.conversation_id == link
            assert post.text == data["body"]
        else:
            assert post.text.startswith(data["title"])
            assert post.repost_of == data.get("crosspost_parent")


@pytest.mark.parametrize("name", REPLIES)
def test_recorded_reply_answer_gives_the_new_id(emulator: RedditEmulator, name: str) -> None:
    exchange = next(e for e in recording(name) if "/api/comment" in e["request"]["uri"])
    sent = parse_qs(exchange["request"]["body"])
    new = exchange["response"]["body"]["json"]["data"]["things"][0]["data"]
    emulator.serve_recorded("POST", "/api/comment", exchange["response"]["body"])
    source = make_source(emulator)
    assert source.reply(sent["thing_id"][0], sent["text"][0]) == new["name"]
    posted = emulator.api_requests("/api/comment")[0].form
    assert posted["thing_id"] == sent["thing_id"] and posted["text"] == sent["text"]
