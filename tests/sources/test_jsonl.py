"""The JSON-lines source: resumes, skips what cannot parse, never eats a half-written line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources.jsonl import JsonlSource, parse_line


def line(i: int, **extra: object) -> str:
    data = {
        "id": f"p{i}",
        "platform": "x",
        "text": f"post {i}",
        "author": {"id": "u1", "handle": "@sara", "followers": 5},
        "created_at": "2026-11-20T08:00:00Z",
        **extra,
    }
    return json.dumps(data, ensure_ascii=False) + "\n"


def drain(source: JsonlSource, cursor: dict | None) -> tuple[list[str], dict | None, int]:
    ids: list[str] = []
    skipped = 0
    while True:
        batch = source.fetch(cursor)
        ids += [p.native_id for p in batch.posts]
        skipped += batch.skipped
        cursor = dict(batch.cursor)
        if not batch.more:
            return ids, cursor, skipped


def test_pages_resume_and_pick_up_appended_lines(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(line(i) for i in range(7)), encoding="utf-8")
    source = JsonlSource("f", path, batch_size=3)
    first = source.fetch(None)
    assert [p.native_id for p in first.posts] == ["p0", "p1", "p2"] and first.more
    ids, cursor, _ = drain(source, dict(first.cursor))
    assert ids == ["p3", "p4", "p5", "p6"]
    with path.open("a", encoding="utf-8") as f:
        f.write(line(7))
        f.write(line(8).rstrip("\n"))  # a writer is still writing this one
    ids, cursor, _ = drain(JsonlSource("f", path, batch_size=3), cursor)  # a restart
    assert ids == ["p7"]
    with path.open("a", encoding="utf-8") as f:
        f.write("\n")
    assert drain(source, cursor)[0] == ["p8"]


def test_bad_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        line(1)
        + "{not json\n"
        + json.dumps({"id": "p2"})
        + "\n\n"
        + line(4, created_at=1e20)  # epoch seconds past year 9999
        + line(5, created_at=float("inf"))
        + line(3),
        encoding="utf-8",
    )
    ids, _, skipped = drain(JsonlSource("f", path), None)
    assert ids == ["p1", "p3"] and skipped == 4


def test_a_line_without_author_is_logged_as_missing_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "posts.jsonl"
    no_author = {k: v for k, v in json.loads(line(2)).items() if k != "author"}
    path.write_text(line(1) + json.dumps(no_author) + "\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="sources.jsonl"):
        ids, _, skipped = drain(JsonlSource("f", path), None)
    assert ids == ["p1"] and skipped == 1
    missing = 'author is required: {"handle": "..."} or the handle as a string'
    assert [r.getMessage() for r in caplog.records] == [f"posts.jsonl: line 2 skipped: {missing}"]


def test_a_replaced_file_is_read_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(line(1) + line(2), encoding="utf-8")
    _, cursor, _ = drain(JsonlSource("f", path), None)
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(line(3), encoding="utf-8")
    replacement.replace(path)
    assert drain(JsonlSource("f", path), cursor)[0] == ["p3"]


def test_fields_and_errors() -> None:
    post = parse_line(line(1, in_reply_to="p0", kind="reply", lang="fa"))
    assert post.author.handle == "sara" and post.author.followers == 5
    assert post.created_at.isoformat() == "2026-11-20T08:00:00+00:00"
    assert (post.kind, post.in_reply_to, post.lang) == ("reply", "p0", "fa")
    no_author = json.dumps({k: v for k, v in json.loads(line(1)).items() if k != "author"})
    for bad, words in [
        (line(1, created_at="2026-11-20T08:00:00"), "no time zone"),
        (line(1, kind="story"), "kind must be one of"),
        (line(1, author={"id": 3}), "author must be an object with a handle"),
        (line(1, author=7), "author must be an object with a handle"),
        (line(1, author=None), "author is required: "),
        (no_author, "author is required: "),
        ("[1, 2]", "expected a JSON object"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_line(bad)


def test_a_file_truncated_and_rewritten_longer_in_place_is_read_from_the_top(
    tmp_path: Path,
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(line(i) for i in range(3)), encoding="utf-8")
    ids, cursor, _ = drain(JsonlSource("f", path), None)
    assert ids == ["p0", "p1", "p2"]
    with path.open("r+b") as f:  # logrotate copytruncate, then the writer goes on: same inode
        f.truncate(0)
        f.write("".join(line(i, text=f"a longer post, number {i}") for i in range(10, 16)).encode())
    ids, _, skipped = drain(JsonlSource("f", path), cursor)
    assert ids == [f"p{i}" for i in range(10, 16)] and skipped == 0


def test_an_append_after_a_fingerprinted_cursor_resumes(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(line(i) for i in range(40)), encoding="utf-8")  # past the 1 KiB head
    ids, cursor, _ = drain(JsonlSource("f", path, batch_size=7), None)
    assert ids == [f"p{i}" for i in range(40)]
    with path.open("a", encoding="utf-8") as f:
        f.write(line(40))
    assert drain(JsonlSource("f", path), cursor)[0] == ["p40"]


def test_a_cursor_from_before_the_fingerprint_resumes_at_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(line(1) + line(2), encoding="utf-8")
    old = {"offset": len(line(1).encode()), "line": 1, "inode": path.stat().st_ino}
    ids, cursor, _ = drain(JsonlSource("f", path), old)
    assert ids == ["p2"] and cursor == drain(JsonlSource("f", path), None)[1]
