"""X API v2 wire format, no I/O: search queries, tweets into posts, the cursor's shape.

Kept apart from :mod:`sources.x` (the client, its errors and its budgets) so the parts that only
transform data stay small and testable on their own.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ConfigError, MalformedResponse
from sources.base import Author, Cursor, SourcePost

__all__ = [
    "CURSOR_VERSION",
    "EXPANSIONS",
    "TWEET_FIELDS",
    "USER_FIELDS",
    "build_queries",
    "compact",
    "edit_root",
    "first_error",
    "load_cursor",
    "retweeted",
    "snowflake_time",
    "tweet_to_post",
    "tweets_of",
]

log = logging.getLogger("sources.x")

TWEET_FIELDS = [
    "created_at",
    "lang",
    "conversation_id",
    "referenced_tweets",
    "in_reply_to_user_id",
    "public_metrics",
    "author_id",
    "note_tweet",  # a long post's full text; ``text`` holds only its first 280 characters
]
#: ``referenced_tweets.id.author_id``: the authors of the tweets retweeted, for the originals
#: a retweet brings in (see :func:`retweeted`)
EXPANSIONS = [
    "author_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
    "in_reply_to_user_id",
]
USER_FIELDS = ["username", "name", "public_metrics"]
CURSOR_VERSION = 1
_SNOWFLAKE_EPOCH_MS = 1288834974657
#: X language codes that are not languages (undetermined, media only, hashtags only...).
_NOT_LANGUAGES = {"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art"}


def snowflake_time(tweet_id: str) -> datetime:
    """When X minted ``tweet_id`` (ids are snowflakes: milliseconds since 2010-11-04 << 22)."""
    ms = (int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


# ------------------------------------------------------------------------------- queries

_BARE = re.compile(r"^[@#$]?\w+$")


def _quote(term: str) -> str:
    """A word, @handle, #hashtag or $cashtag stays bare; anything else is an exact phrase."""
    if _BARE.match(term) and term.upper() not in {"OR", "AND"}:
        return term
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_queries(
    terms: Sequence[str],
    *,
    include_retweets: bool = False,
    languages: Sequence[str] = (),
    max_length: int = 512,
) -> list[str]:
    """OR-combine ``terms`` into as few search queries as ``max_length`` allows.

    Terms keep their order (so adding one changes only the last query and the other streams
    keep their ``since_id``); duplicates, case-insensitively, are dropped. Raises
    :class:`ConfigError` when a single term cannot fit in a query on its own.
    """
    suffix_parts = [] if include_retweets else ["-is:retweet"]
    langs = [lang.strip().lower() for lang in languages if lang.strip()]
    if len(langs) == 1:
        suffix_parts.append(f"lang:{langs[0]}")
    elif langs:
        suffix_parts.append("(" + " OR ".join(f"lang:{lang}" for lang in langs) + ")")
    suffix = (" " + " ".join(suffix_parts)) if suffix_parts else ""
    seen: set[str] = set()
    quoted: list[str] = []
    for term in terms:
        term = term.strip()
        if term and term.lower() not in seen:
            seen.add(term.lower())
            quoted.append(_quote(term))
    queries: list[str] = []
    group: list[str] = []
    for q in quoted:
        if len(f"({q}){suffix}") > max_length:
            raise ConfigError("terms", f"term {q} is too long for an X query of {max_length}")
        if group and len("(" + " OR ".join([*group, q]) + ")" + suffix) > max_length:
            queries.append("(" + " OR ".join(group) + ")" + suffix)
            group = []
        group.append(q)
    if group:
        queries.append("(" + " OR ".join(group) + ")" + suffix)
    return queries


# -------------------------------------------------------------------------------- tweets


def edit_root(tweet: Mapping[str, Any]) -> str:
    """The id of a tweet's first version: each edit of a post is a tweet with an id of its
    own, and ``edit_history_tweet_ids`` lists every version, the first one first."""
    history = tweet.get("edit_history_tweet_ids")
    if isinstance(history, list) and history and str(history[0]).isdigit():
        return str(history[0])
    return str(tweet["id"])


def retweeted(
    tweet: Mapping[str, Any], included: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The tweet ``tweet`` retweets, as ``includes.tweets`` holds it (by id in ``included``),
    or ``None`` when it is not a retweet or X did not include the original."""
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") == "retweeted":
            return included.get(str(ref.get("id")))
    return None


def tweet_to_post(
    tweet: Mapping[str, Any],
    users: Mapping[str, Any],
    fallback: Author | None,
    roots: Mapping[str, str] | None = None,
) -> SourcePost:
    """One tweet of ``data`` with its author from ``includes.users``.

    An edit is the post it edits: ``native_id`` is the first version's id, ``version`` the
    edit's own (and ``url`` points to it). A reply or retweet of an edited tweet refers to
    the first version too, through ``roots`` (ids of ``includes.tweets`` to their first
    versions), so the brand's answer to any version stops the clocks of the post's case.

    Raises ``AttributeError``, ``KeyError``, ``TypeError`` or ``ValueError`` for a tweet it
    cannot read (the caller counts it as skipped). A long post's text is its full
    ``note_tweet`` text: the brand's name or the complaint may come after the first 280
    characters, all that ``text`` holds. Without ``created_at`` the time comes from the id (a
    snowflake); without ``author_id`` (tweepy's recordings never asked for it) the author is
    ``fallback``. X sends ``text`` and ``note_tweet.text`` HTML-escaped (``&amp; &lt; &gt;``);
    they are unescaped, or a watch term such as "AT&T" would never match.
    """
    tweet_id = str(tweet["id"])
    note = tweet.get("note_tweet")
    text = note["text"] if isinstance(note, dict) and note.get("text") else tweet["text"]
    if not tweet_id.isdigit() or not isinstance(text, str):
        raise ValueError(f"bad id or text in tweet {tweet_id[:30]!r}")
    text = html.unescape(text)  # X escapes every "&", so one unescape gives what was typed
    author_id = tweet.get("author_id")
    user = users.get(str(author_id)) if author_id is not None else None
    if user is not None:
        metrics = user.get("public_metrics") or {}
        author = Author(
            native_id=str(user["id"]),
            handle=str(user.get("username") or user["id"]),
            display_name=user.get("name"),
            followers=metrics.get("followers_count"),
        )
    elif author_id is not None:
        author = Author(native_id=str(author_id), handle=str(author_id))
    else:  # only where author_id was not requested, as in tweepy's own recordings
        author = fallback or Author(native_id="unknown", handle="unknown")
    created = tweet.get("created_at")
    created_at = (
        datetime.fromisoformat(created).astimezone(UTC)
        if isinstance(created, str)
        else snowflake_time(tweet_id)
    )
    in_reply_to = repost_of = None
    for ref in tweet.get("referenced_tweets") or []:
        ref_id = str(ref["id"])
        if ref.get("type") == "replied_to":
            in_reply_to = (roots or {}).get(ref_id, ref_id)
        elif ref.get("type") == "retweeted":
            repost_of = (roots or {}).get(ref_id, ref_id)
    root = edit_root(tweet)
    lang = tweet.get("lang")
    path_user = author.handle if user is not None else "i"
    return SourcePost(
        platform="x",
        native_id=root,
        text=text,
        author=author,
        created_at=created_at,
        url=f"https://x.com/{path_user}/status/{tweet_id}",
        lang=None if not lang or lang in _NOT_LANGUAGES else str(lang),
        kind="reply" if in_reply_to else "post",
        in_reply_to=in_reply_to,
        repost_of=repost_of,
        conversation_id=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        version=tweet_id if root != tweet_id else None,
    )


# -------------------------------------------------------------------------------- helpers


def load_cursor(cursor: Cursor | None) -> dict[str, Any]:
    fresh: dict[str, Any] = {"v": CURSOR_VERSION, "streams": {}, "todo": [], "recent": []}
    """The cursor as a fresh mutable dict; one of another version starts afresh (logged)."""
    if not cursor:
        return fresh
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("streams"), Mapping):
        log.warning("X cursor of another version %r ignored; starting afresh", cursor.get("v"))
        return fresh
    return {
        "v": CURSOR_VERSION,
        "streams": {str(k): dict(v) for k, v in cursor["streams"].items()},
        "todo": [str(k) for k in cursor.get("todo") or []],
        "recent": [str(i) for i in cursor.get("recent") or []],
    }


def compact(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def tweets_of(payload: Mapping[str, Any], source: str) -> list[Mapping[str, Any]]:
    data = payload.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise MalformedResponse(source, "X answered with a data field that is not a list")
    return [t for t in data if isinstance(t, dict)]


def first_error(payload: Mapping[str, Any]) -> str:
    errors = payload.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return str(first.get("detail") or first.get("title") or "error without detail")[:200]
