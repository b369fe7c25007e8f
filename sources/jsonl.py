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
A complete line that is not valid JSON, lacks required fields or has one out of shape (a
``platform`` that is no short lower-case name, see :class:`~sources.base.SourcePost`) is
logged and skipped: it will never become valid, so the cursor moves past it. A ``platform`` is
read in lower case (``X`` is ``x``); a ``lang`` that is no language tag is dropped, a long one
shortened (:func:`~sources.base.language_tag`).

An optional field of the wrong type does not cost the post (a lost mention is worse than a
missing follower count): what is unambiguous is read (``"250000"`` and ``1234.0`` followers
are 250000 and 1234, a ``created_at`` of ``"1763626500"`` is epoch seconds), and what cannot
be read (``author.followers``, ``author.name``, ``url``, ``lang``, ``conversation_id``) is
logged and dropped. ``platform``, ``kind``, ``in_reply_to`` and ``repost_of`` stay strict: they
say what the post is and whom it answers, and a guess there would file it wrongly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from monitor.errors import SourceUnavailable
from sources.base import Author, Batch, Cursor, SourcePost

__all__ = ["JsonlSource", "parse_line"]

log = logging.getLogger(__name__)

KINDS = ("post", "comment", "reply")
HEAD_BYTES = 1024  # how much of the file's start the cursor's fingerprint covers, at most
_EPOCH = re.compile(r"\s*\d{9,11}(?:\.\d+)?\s*")  # epoch seconds (1973 on); not 20261120


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
                    where = f"{self.path.name}: line {line_no}"
                    posts.append(parse_line(raw, default_platform=self.platform, where=where))
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


def parse_line(
    raw: bytes | str, *, default_platform: str = "jsonl", where: str = "jsonl line"
) -> SourcePost:
    """One line of the JSON-lines schema -> a post. Raises ``ValueError`` naming the problem
    with a required field (or ``platform``, ``kind``, ``in_reply_to``, ``repost_of``); an
    optional field that cannot be read is logged (``where`` names the line) and dropped."""
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

    def optional(key: str, value: Any, read: Callable[[Any], Any]) -> Any:
        """``value`` read by ``read``; ``None`` (logged, the post kept) when it cannot be."""
        if value is None:
            return None
        try:
            return read(value)
        except ValueError as exc:
            log.warning("%s: %s dropped, the post kept: %s", where, key, exc)
            return None

    followers = optional("author.followers", author.get("followers"), _whole_number)
    kind = data.get("kind", "post")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    platform = _optional_str(data, "platform") or default_platform
    return SourcePost(  # refuses (ValueError) a platform the store cannot hold; bounds lang
        platform=platform.strip().lower(),
        native_id=native_id,
        text=text,
        author=Author(
            native_id=str(author.get("id") or author["handle"]),
            handle=author["handle"].lstrip("@"),
            display_name=optional("author.name", author.get("name"), _text),
            followers=followers,
        ),
        created_at=_timestamp(data.get("created_at")),
        url=optional("url", data.get("url"), _text),
        lang=optional("lang", data.get("lang"), _text),
        kind=kind,
        in_reply_to=_optional_str(data, "in_reply_to"),
        repost_of=_optional_str(data, "repost_of"),
        conversation_id=optional("conversation_id", data.get("conversation_id"), _text),
    )


def _whole_number(value: Any) -> int:
    """A count as exports write it: ``250000``, ``"250000"`` or ``1234.0`` (pandas); nothing
    that would need a guess (``"250k"``, ``12.5``, ``true``)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"expected a whole number (got {_shown(value)})")


def _text(value: Any) -> str:
    """A string, or an id written as a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a string (got {_shown(value)})")
    return value


def _shown(value: Any) -> str:
    """A value for a log line: short, so a pasted blob does not flood the log."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


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
    if _EPOCH.fullmatch(value):  # "1763626500": epoch seconds written as a string
        return _timestamp(float(value))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"created_at {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"created_at {value!r} has no time zone; add Z or +00:00")
    return parsed.astimezone(UTC)
