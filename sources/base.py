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

__all__ = [
    "LANGUAGE_TAG_MAX",
    "PLATFORM_MAX",
    "UNREADABLE",
    "Author",
    "Batch",
    "Cursor",
    "Replier",
    "Source",
    "SourcePost",
    "language_tag",
]

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


#: The longest platform name and language tag a post may carry: the store's columns
#: (``posts.platform``, ``posts.language``) are that wide, and PostgreSQL refuses a longer
#: value, failing the post's whole batch at every poll (SQLite would take it).
PLATFORM_MAX = 32
LANGUAGE_TAG_MAX = 16
_PLATFORM = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{PLATFORM_MAX - 1}}}")
#: A BCP 47 tag's shape: a primary subtag of letters, then subtags of letters and digits.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """``value`` as a language tag short enough to store, or ``None`` when it is no tag.

    A platform's tag is a hint (``en``, ``pt-BR``); a feed or an export may carry anything
    (``English``, ``en_US``, ``en-GB-x-twitter-legacy``). An underscore reads as a hyphen; a
    tag longer than :data:`LANGUAGE_TAG_MAX` loses subtags from its end, as RFC 4647's lookup
    does (never a lone single-letter subtag at the end), so it still names the language;
    anything else that is not a tag's shape is dropped."""
    if value is None:
        return None
    tag = value.strip().replace("_", "-")
    if not _LANGUAGE_TAG.fullmatch(tag):
        return None
    parts = tag.split("-")
    while len("-".join(parts)) > LANGUAGE_TAG_MAX or len(parts[-1]) == 1:
        parts.pop()
    return "-".join(parts)


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
        """Clean the strings, bound ``lang`` (:func:`language_tag`), and refuse a platform
        name the store cannot hold (``ValueError``: a source skips such an item as
        malformed, as it skips any item it cannot read)."""
        _valid_strings(self)
        if not isinstance(self.platform, str) or not _PLATFORM.fullmatch(self.platform):
            raise ValueError(
                f"platform {str(self.platform)[:40]!r} is not a platform name: lower-case "
                f"letters, digits, '.', '_' or '-', at most {PLATFORM_MAX} characters"
            )
        object.__setattr__(self, "lang", language_tag(self.lang))


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
