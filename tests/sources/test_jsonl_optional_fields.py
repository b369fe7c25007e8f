"""An optional field of the wrong type costs the field, never the post (walkthrough #2: a
250k-follower safety complaint was skipped whole over ``"followers": "250000"``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from sources.jsonl import JsonlSource, parse_line

FIRE = {
    "id": "f1",
    "platform": "x",
    "text": "Acme Coffee machine caught fire in my kitchen, this is dangerous",
    "author": {"handle": "bigacct", "followers": "250000"},
    "created_at": "2026-11-23T11:40:00Z",
}


def line(**changes: object) -> str:
    data = {**FIRE, **changes}
    return json.dumps(data) + "\n"


def with_author(**changes: object) -> str:
    return line(author={**FIRE["author"], **changes})  # type: ignore[dict-item]


def test_the_walkthrough_line_is_kept_with_its_followers(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(line(), encoding="utf-8")
    batch = JsonlSource("export", path).fetch(None)
    assert batch.skipped == 0
    (post,) = batch.posts
    assert (post.native_id, post.author.followers) == ("f1", 250000)


@pytest.mark.parametrize(
    ("followers", "read"),
    [("250000", 250000), (" 42 ", 42), (1234.0, 1234), (7, 7), (None, None)],
)
def test_unambiguous_follower_counts_are_read(followers: object, read: int | None) -> None:
    assert parse_line(with_author(followers=followers)).author.followers == read


@pytest.mark.parametrize("followers", ["250k", "12.5", 12.5, True, [1], {"n": 1}, "", "٣٤"])
def test_an_unreadable_follower_count_is_dropped_and_logged(
    followers: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(with_author(followers=followers), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sources.jsonl"):
        batch = JsonlSource("export", path).fetch(None)
    (post,) = batch.posts
    assert batch.skipped == 0 and post.author.followers is None
    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith("posts.jsonl: line 1: author.followers dropped, the post kept: ")
    assert "expected a whole number" in message


def test_other_unreadable_optional_fields_are_dropped_not_the_post(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = json.dumps(
        {
            **FIRE,
            "author": {"handle": "bigacct", "name": 5.5, "followers": 3},
            "url": ["https://x.com/bigacct/status/1"],
            "lang": {"code": "en"},
            "conversation_id": 1.5,
        }
    )
    with caplog.at_level(logging.WARNING, logger="sources.jsonl"):
        post = parse_line(raw, where="posts.jsonl: line 9")
    assert post.native_id == "f1" and post.author.followers == 3
    assert (post.author.display_name, post.url, post.lang, post.conversation_id) == (None,) * 4
    dropped = [r.getMessage().split(" dropped")[0] for r in caplog.records]
    assert dropped == [
        "posts.jsonl: line 9: author.name",
        "posts.jsonl: line 9: url",
        "posts.jsonl: line 9: lang",
        "posts.jsonl: line 9: conversation_id",
    ]


@pytest.mark.parametrize("created_at", ["1763626500", " 1763626500.0 ", 1763626500])
def test_epoch_seconds_written_as_a_string_are_read(created_at: object) -> None:
    post = parse_line(line(created_at=created_at))
    assert post.created_at.isoformat() == "2025-11-20T08:15:00+00:00"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"created_at": "20261120"}, "no time zone"),  # a basic ISO date, not epoch seconds
        ({"created_at": "soon"}, "is not ISO 8601"),
        ({"created_at": None}, "created_at is required"),
        ({"id": None}, "id is required"),
        ({"text": 5.5}, "text is required"),
        ({"author": {"followers": "250000"}}, "author must be an object with a handle"),
        ({"kind": "story"}, "kind must be one of"),
        ({"in_reply_to": 1.5}, "in_reply_to must be a string"),
    ],
)
def test_required_and_identifying_fields_still_skip_the_line(
    bad: dict[str, object], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        parse_line(line(**bad))
