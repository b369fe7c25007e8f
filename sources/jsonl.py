"""Posts from a JSON-lines file: feed replywatch from any export or other tool.

One JSON object per line (schema in the README). The cursor is a byte offset plus the file's
identity: its inode and a sha256 of its first bytes (up to ``HEAD_BYTES`` of what was read),
as Filebeat and Fluent Bit do. So the source resumes where it stopped, and notices a file that
was replaced, truncated, or truncated and rewritten in place (logrotate ``copytruncate``,
``cat new > file``) even when the new content is longer than the offset; it then starts again
from the top (the store drops what it has seen; skipping would lose posts). A rewrite that
keeps the fingerprinted bytes unchanged is not noticed. A cursor from before the fingerprint
(no ``head_sha256``) is trusted on inode and size alone and resumes at its offset.
The source never consumes a last line that has no newline yet (a writer may still be writing it).
A complete line that is not valid JSON or lacks required fields is logged and skipped: it
will never become valid, so the cursor moves past it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from monitor.errors import SourceUnavailable
from sources.base import Author, Batch, Cursor, SourcePost

__all__ = ["JsonlSource", "parse_line"]

log = logging.getLogger(__name__)

KINDS = ("post", "comment", "reply")
HEAD_BYTES = 1024  # how much of the file's start the cursor's fingerprint covers, at most


class JsonlSource:
    platform: str

    def __init__(
        self, name: str, path: Path, *, platform: str = "jsonl", batch_size: int = 500
    ) -> None:
        self.name = name
        self.path = Path(path)
        self.platform = platform
        self.batch_size = batch_size

    def fetch(self, cursor: Cursor | None) -> Batch:
        try:
            stat = self.path.stat()
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceUnavailable(self.name, f"cannot read {self.path}: {exc.strerror}") from None
        with handle:
            offset = int(cursor.get("offset", 0)) if cursor else 0
            same_file = cursor is not None and cursor.get("inode") == stat.st_ino
            if not same_file or offset > stat.st_size or not _same_head(handle, cursor):
                offset = 0  # replaced, truncated or rewritten: start over, the store drops repeats
            handle.seek(offset)
            posts: list[SourcePost] = []
            skipped = 0
            line_no = int(cursor.get("line", 0)) if cursor and offset else 0
            while len(posts) < self.batch_size:
                raw = handle.readline()
                if not raw or not raw.endswith(b"\n"):
                    break  # end of file, or a line still being written
                offset += len(raw)
                line_no += 1
                if not raw.strip():
                    continue
                try:
                    posts.append(parse_line(raw, default_platform=self.platform))
                except ValueError as exc:
                    skipped += 1
                    log.warning("%s: line %d skipped: %s", self.path.name, line_no, exc)
            more = offset < stat.st_size and len(posts) >= self.batch_size
            head_bytes = min(offset, HEAD_BYTES)
            head = _head_sha256(handle, head_bytes)
        new_cursor = {
            "offset": offset,
            "line": line_no,
            "inode": stat.st_ino,
            "head_sha256": head,
            "head_bytes": head_bytes,
        }
        return Batch(posts=posts, cursor=new_cursor, more=more, skipped=skipped)


def _same_head(handle: IO[bytes], cursor: Cursor | None) -> bool:
    """Whether the file still starts with the bytes the cursor fingerprinted (old cursors: yes)."""
    if cursor is None or "head_sha256" not in cursor:
        return True
    return _head_sha256(handle, int(cursor.get("head_bytes", 0))) == cursor["head_sha256"]


def _head_sha256(handle: IO[bytes], size: int) -> str:
    handle.seek(0)
    return hashlib.sha256(handle.read(size)).hexdigest()[:32]


def parse_line(raw: bytes | str, *, default_platform: str = "jsonl") -> SourcePost:
    """One line of the JSON-lines schema -> a post. Raises ``ValueError`` naming the problem."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if not isinstance(data, Mapping):
        raise ValueError("expected a JSON object")
    native_id = _required_str(data, "id")
    text = _required_str(data, "text", allow_empty=True)
    author = data.get("author")
    if author is None:
        raise ValueError('author is required: {"handle": "..."} or the handle as a string')
    if isinstance(author, str):
        author = {"handle": author}
    if not isinstance(author, Mapping) or not isinstance(author.get("handle"), str):
        raise ValueError("author must be an object with a handle")
    followers = author.get("followers")
    if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)):
        raise ValueError("author.followers must be a whole number")
    kind = data.get("kind", "post")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return SourcePost(
        platform=str(data.get("platform") or default_platform),
        native_id=native_id,
        text=text,
        author=Author(
            native_id=str(author.get("id") or author["handle"]),
            handle=author["handle"].lstrip("@"),
            display_name=author.get("name"),
            followers=followers,
        ),
        created_at=_timestamp(data.get("created_at")),
        url=_optional_str(data, "url"),
        lang=_optional_str(data, "lang"),
        kind=kind,
        in_reply_to=_optional_str(data, "in_reply_to"),
        repost_of=_optional_str(data, "repost_of"),
        conversation_id=_optional_str(data, "conversation_id"),
    )


def _required_str(data: Mapping[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValueError(f"{key} is required and must be a string")
    return value


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):  # 1e20, inf, nan: no time at all
            raise ValueError(f"created_at {value!r} is not a time in epoch seconds") from None
    if not isinstance(value, str):
        raise ValueError("created_at is required (ISO 8601 with a time zone, or epoch seconds)")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"created_at {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"created_at {value!r} has no time zone; add Z or +00:00")
    return parsed.astimezone(UTC)
