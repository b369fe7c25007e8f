"""The one seam between replywatch and the platforms it listens to.

A source turns a platform's feed into :class:`SourcePost` values and an opaque cursor. The
pipeline stores a batch's posts and its cursor in one transaction, so a cursor never runs
ahead of what is stored: if the process dies between a fetch and its commit, the next fetch
starts from the old cursor and the unique (platform, native id) key absorbs the repeats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

__all__ = ["UNREADABLE", "Author", "Batch", "Cursor", "Replier", "Source", "SourcePost"]

#: A source's position, JSON-serialisable and meaningful only to the source that made it.
Cursor = Mapping[str, Any]

#: What reading one item of a platform's JSON raises when the item is not as documented: the
#: item is skipped and counted, the rest of its page kept.
UNREADABLE = (AttributeError, KeyError, OverflowError, TypeError, ValueError)

#: Half a UTF-16 surrogate pair. JSON may carry one alone (``"\\ud83d"``, an emoji cut in
#: two by a truncating API), and Python's JSON parser keeps it; no database, tokenizer or
#: Slack message accepts it. Also U+0000, legal in JSON (``"\\u0000"``) but refused by
#: PostgreSQL in text: one such post would fail its batch at every poll, the cursor stuck.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"  # NUL carries nothing visible


def _valid_strings(obj: Any) -> None:
    """Replace lone surrogates in ``obj``'s string fields with U+FFFD, the replacement
    character, and drop NUL characters, so one malformed post is stored and classified
    instead of failing its batch."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str) and _UNSTORABLE.search(value):
            object.__setattr__(obj, f.name, _UNSTORABLE.sub(_clean, value))


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post, as the platform names them."""

    native_id: str
    handle: str
    display_name: str | None = None
    #: Reach (followers, subscribers); ``None`` where the platform does not say.
    followers: int | None = None

    def __post_init__(self) -> None:
        _valid_strings(self)


@dataclass(frozen=True, slots=True)
class SourcePost:
    """One post as a source saw it. ``created_at`` is an aware UTC datetime."""

    platform: str
    native_id: str
    text: str
    author: Author
    created_at: datetime
    url: str | None = None
    #: The platform's own language tag, a hint only.
    lang: str | None = None
    #: ``post`` (a top-level post), ``comment`` or ``reply``.
    kind: str = "post"
    #: Native id of the post this one answers, if any.
    in_reply_to: str | None = None
    #: Native id of the post this one reposts (retweet, crosspost), if any.
    repost_of: str | None = None
    #: Native id of the thread root, where the platform gives one.
    conversation_id: str | None = None
    #: Native id of this version, where each edit of a post gets an id of its own (X);
    #: ``native_id`` is then the first version's, so an edit is the same post, not a new one.
    version: str | None = None

    def __post_init__(self) -> None:
        _valid_strings(self)


@dataclass(frozen=True, slots=True)
class Batch:
    """What one fetch returned and where the next fetch starts.

    ``more`` says the source already knows another fetch would return more (another page),
    so the pipeline fetches again in the same cycle after committing this one.
    """

    posts: list[SourcePost]
    cursor: Cursor
    more: bool = False
    #: Posts the source saw but could not parse: counted and logged, never stored.
    skipped: int = 0
    #: Seconds the source asks to wait before its next fetch (rate-limit planning).
    next_poll_after_s: float | None = None
    #: Parts of the source that failed and were set aside this time (a stream, a feed), each
    #: a message naming it: the rest was read. The poller reports them as the poll's error.
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """A feed of posts. ``fetch`` raises :class:`monitor.errors.SourceError` subclasses only."""

    name: str
    platform: str

    def fetch(self, cursor: Cursor | None) -> Batch: ...


@runtime_checkable
class Replier(Protocol):
    """Posts a public reply as a brand account, and finds one already posted.

    ``find_reply`` is how a restart avoids replying twice: before resending a reply whose
    outcome is unknown, the sender asks the platform whether the account already answered.
    """

    platform: str

    def reply(self, in_reply_to: str, text: str) -> str: ...

    def find_reply(self, in_reply_to: str) -> str | None: ...
