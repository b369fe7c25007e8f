"""Reddit's wire format, no I/O: search queries from watch terms, listing children into posts.

Kept apart from :mod:`sources.reddit` (the clients, the cursor and the budget) so the parts that
only transform data stay small and testable on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sources.base import UNREADABLE, Author, SourcePost

__all__ = [
    "MAX_QUERY_CHARS",
    "PLATFORM",
    "WEB_URL",
    "build_queries",
    "fullname",
    "listing_children",
    "parse_thing",
]

PLATFORM = "reddit"
WEB_URL = "https://www.reddit.com"
#: Reddit rejects (or silently truncates) search queries longer than this.
MAX_QUERY_CHARS = 512
_COMMENTS_PATH = re.compile(r"/comments/([a-z0-9]+)/")

# ------------------------------------------------------------------------------ queries


def _quote(term: str) -> str:
    """A term as one search clause: quoted if it has spaces, Reddit's own quotes dropped."""
    term = " ".join(term.replace('"', " ").split())
    return f'"{term}"' if " " in term or not term.isalnum() else term


def build_queries(terms: Iterable[str], *, max_chars: int = MAX_QUERY_CHARS) -> list[str]:
    """OR-combine ``terms`` into as few queries of at most ``max_chars`` characters as fit.

    Order is kept and repeats (case-insensitive) dropped. A single term longer than the limit
    cannot be searched for and raises ``ValueError`` (a config mistake, found at start-up).
    """
    queries: list[str] = []
    current = ""
    seen: set[str] = set()
    for raw in terms:
        clause = _quote(raw)
        if not clause.strip('"') or clause.lower() in seen:
            continue
        seen.add(clause.lower())
        if len(clause) > max_chars:
            raise ValueError(f"watch term longer than {max_chars} characters: {raw[:40]!r}…")
        candidate = f"{current} OR {clause}" if current else clause
        if len(candidate) > max_chars:
            queries.append(current)
            candidate = clause
        current = candidate
    if current:
        queries.append(current)
    return queries


# ------------------------------------------------------------------------------ parsing


def fullname(kind: str, data: Mapping[str, Any]) -> str:
    name = data.get("name")
    if isinstance(name, str) and name.startswith(f"{kind}_"):
        return name
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("no name or id")
    return f"{kind}_{ident}"


def _url(kind: str, data: Mapping[str, Any]) -> str | None:
    link = data.get("permalink") or data.get("context")
    if isinstance(link, str) and link:
        link = link.split("?", 1)[0]
        return link if link.startswith("http") else WEB_URL + link
    sub, link_id = data.get("subreddit"), data.get("link_id")
    if kind == "t1" and sub and isinstance(link_id, str):
        return f"{WEB_URL}/r/{sub}/comments/{link_id.removeprefix('t3_')}/_/{data.get('id')}/"
    return None


def parse_thing(child: Mapping[str, Any]) -> SourcePost | None:
    """One listing child as a :class:`SourcePost`; ``None`` for kinds we do not watch.

    Raises ``ValueError`` (or ``KeyError``/``TypeError``) when a watched kind lacks its id
    or creation time; the caller counts it as skipped.
    """
    kind = child.get("kind")
    data = child.get("data")
    if kind not in ("t1", "t3") or not isinstance(data, Mapping):
        return None
    native_id = fullname(kind, data)
    created_at = datetime.fromtimestamp(float(data["created_utc"]), UTC)
    handle = data.get("author") or "[deleted]"
    author = Author(native_id=str(data.get("author_fullname") or handle), handle=str(handle))
    if kind == "t3":
        title, body = str(data.get("title") or ""), str(data.get("selftext") or "")
        return SourcePost(
            platform=PLATFORM,
            native_id=native_id,
            text=f"{title}\n\n{body}" if body else title,
            author=author,
            created_at=created_at,
            url=_url(kind, data),
            kind="post",
            repost_of=data.get("crosspost_parent") or None,
            conversation_id=native_id,
        )
    return SourcePost(
        platform=PLATFORM,
        native_id=native_id,
        text=str(data.get("body") or ""),
        author=author,
        created_at=created_at,
        url=_url(kind, data),
        kind="comment",
        in_reply_to=data.get("parent_id") or None,
        conversation_id=data.get("link_id") or _link_from_url(data),
    )


def crossposted(child: Mapping[str, Any]) -> SourcePost | None:
    """The submission a crosspost ``child`` shares, from the ``crosspost_parent_list`` Reddit
    sends with it; ``None`` for anything else, or when that copy cannot be read (the crosspost
    itself is still read)."""
    data = child.get("data")
    parents = data.get("crosspost_parent_list") if isinstance(data, Mapping) else None
    if child.get("kind") != "t3" or not isinstance(parents, list) or not parents:
        return None
    try:
        return parse_thing({"kind": "t3", "data": parents[0]})
    except UNREADABLE:
        return None


def _link_from_url(data: Mapping[str, Any]) -> str | None:
    """The submission's fullname from a permalink or inbox ``context`` (mentions lack link_id)."""
    match = _COMMENTS_PATH.search(str(data.get("permalink") or data.get("context") or ""))
    return f"t3_{match.group(1)}" if match else None


def listing_children(payload: object) -> tuple[list[Any], str | None]:
    """The children and ``after`` token of a Listing, or ``ValueError`` if it is not one."""
    if not isinstance(payload, Mapping) or payload.get("kind") != "Listing":
        raise ValueError("not a Listing")
    data = payload.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("children"), list):
        raise ValueError("Listing without children")
    after = data.get("after")
    if after is not None and not isinstance(after, str):
        raise ValueError("Listing with a bad after token")
    return list(data["children"]), after
