"""What a source hands over fits the store: a platform name the store cannot hold is refused
(the item skipped as malformed), a language tag is bounded. PostgreSQL refuses a value longer
than its column, failing the whole batch at every poll; the end-to-end cases are in
``tests/test_long_values.py``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.models import Author as AuthorRow
from monitor.models import Post
from sources.base import LANGUAGE_TAG_MAX, PLATFORM_MAX, Author, SourcePost, language_tag
from sources.jsonl import JsonlSource, parse_line


def line(i: int, **extra: object) -> str:
    data = {
        "id": f"p{i}",
        "platform": "x",
        "text": f"post {i}",
        "author": "sara",
        "created_at": "2026-11-20T08:00:00Z",
        **extra,
    }
    return json.dumps(data) + "\n"


def post(**kw: object) -> SourcePost:
    fields: dict[str, object] = {
        "platform": "x",
        "native_id": "1",
        "text": "hi",
        "author": Author(native_id="u1", handle="sara"),
        "created_at": datetime(2026, 11, 20, tzinfo=UTC),
        **kw,
    }
    return SourcePost(**fields)  # type: ignore[arg-type]


def test_the_bounds_are_the_columns_widths() -> None:
    def width(column: Any) -> int | None:
        return getattr(column.type, "length", None)

    assert width(Post.__table__.c.platform) == PLATFORM_MAX
    assert width(AuthorRow.__table__.c.platform) == PLATFORM_MAX
    assert width(Post.__table__.c.language) == LANGUAGE_TAG_MAX


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("en", "en"),
        ("pt-BR", "pt-BR"),
        ("en_US", "en-US"),
        (" zh-Hant-TW ", "zh-Hant-TW"),
        ("en-GB-x-twitter-legacy", "en-GB-x-twitter"),  # 22: subtags off the end
        ("zh-Hant-TW-x-private1", "zh-Hant-TW"),  # ...and no lone "x" left at the end
        ("sgn-BE-FR-x-abcdefgh", "sgn-BE-FR"),
        ("English language", None),  # a feed's free text, not a tag
        ("", None),
        ("x-klingon", None),
        ("e", None),
        (None, None),
    ],
)
def test_a_language_tag_is_bounded_or_dropped(written: str | None, kept: str | None) -> None:
    assert language_tag(written) == kept
    assert post(lang=written).lang == kept
    assert kept is None or len(kept) <= LANGUAGE_TAG_MAX


@pytest.mark.parametrize(
    "platform", ["facebook-page-comments-export-2026", "X", "", "face book", "x\n"]
)
def test_a_platform_the_store_cannot_hold_is_refused(platform: str) -> None:
    with pytest.raises(ValueError, match="is not a platform name"):
        post(platform=platform)


def test_a_platform_name_of_32_characters_is_taken() -> None:
    assert post(platform="p" * PLATFORM_MAX).platform == "p" * PLATFORM_MAX


def test_a_jsonl_platform_is_read_in_lower_case() -> None:
    assert parse_line(line(1, platform=" X ")).platform == "x"
    assert parse_line(line(1, platform="Reddit")).platform == "reddit"
    assert parse_line(line(1, platform=None), default_platform="rss").platform == "rss"


def test_a_jsonl_line_with_a_platform_too_long_is_skipped_as_malformed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "posts.jsonl"
    long_name = "facebook-page-comments-export-2026"
    path.write_text(line(1, platform=long_name) + line(2) + line(3, platform=["x"]))
    with caplog.at_level(logging.WARNING, logger="sources.jsonl"):
        batch = JsonlSource("f", path).fetch(None)
    assert [p.native_id for p in batch.posts] == ["p2"] and batch.skipped == 2
    assert "posts.jsonl: line 1 skipped: platform 'facebook-page-comments-export-2026' is not" in (
        caplog.records[0].getMessage()
    )
    assert batch.cursor["line"] == 3  # past both: they will never become valid


def test_a_jsonl_lang_is_bounded() -> None:
    assert parse_line(line(1, lang="en-GB-x-twitter-legacy")).lang == "en-GB-x-twitter"
    assert parse_line(line(1, lang="English language")).lang is None
