"""RSS 2.0 and Atom feeds: fetched with requests, parsed with feedparser.

The only module that imports feedparser. Each feed is fetched with a timeout and a conditional
GET (``If-None-Match`` / ``If-Modified-Since`` from the last answer), and the bytes go to
``feedparser.parse``: never a URL, so feedparser opens no connections of its own (it would,
with no timeout).

Identity: an entry's ``id`` (RSS ``guid``, Atom ``id``), else its ``link``, else a hash of
title and published date. Feed-local guids that are not URIs (``<guid>42</guid>``) are
prefixed with the feed URL so two feeds' "42" stay two posts.

Cursor (JSON)::

    {"v": 1, "feeds": {"https://example.com/feed.xml": {
        "seen": ["tag:example.com,2026:1", ...], "etag": "\\"abc\\"", "modified": "Fri, ..."}}}

``seen`` is a bounded list of identities already returned, per feed: ``max_seen`` (500) or
twice the feed's current length, whichever is larger, so an entry still in the feed is never
forgotten and returned twice.

One bad feed among several: it is skipped and logged, its cursor entry is kept as it was, and
the other feeds' entries are returned (``Batch.errors`` names it). Only when every
feed fails does ``fetch`` raise, so the poller backs off: :class:`RateLimited` if any feed said
so, else :class:`SourceUnavailable` if any was unreachable, else :class:`AuthError` or
:class:`MalformedResponse`.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import requests

from monitor.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from sources.base import Author, Batch, Cursor, SourcePost

__all__ = ["RssSource"]

log = logging.getLogger(__name__)

_CURSOR_VERSION = 1
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RssSource:
    """Entries of a list of feeds, optionally only those naming one of ``terms``."""

    platform = "rss"

    def __init__(
        self,
        name: str,
        *,
        urls: Sequence[str],
        terms: Sequence[str] = (),
        timeout_s: float = 30.0,
        max_seen: int = 500,
        user_agent: str = "replywatch/0.1 (feed reader)",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.name = name
        self.urls = list(dict.fromkeys(urls))
        self._terms = [
            re.compile(r"(?<!\w)" + re.escape(t.strip()) + r"(?!\w)", re.IGNORECASE)
            for t in terms
            if t.strip()
        ]
        self._timeout_s = timeout_s
        self._max_seen = max_seen
        self._clock = clock
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": user_agent, "Accept": _ACCEPT})

    def close(self) -> None:
        self._session.close()

    def __repr__(self) -> str:
        return f"RssSource({self.name!r}, feeds={len(self.urls)})"

    def fetch(self, cursor: Cursor | None) -> Batch:
        """Every feed once; new entries of the feeds that answered."""
        feeds = _load_cursor(cursor)
        posts: list[SourcePost] = []
        taken: set[str] = set()
        failed: dict[str, SourceError] = {}
        skipped = 0
        for url in self.urls:
            state = feeds.get(url, {})
            try:
                new_state, entries, bad = self._fetch_feed(url, state)
            except SourceError as exc:
                transient = isinstance(exc, SourceUnavailable | RateLimited)
                level = logging.INFO if transient else logging.WARNING
                log.log(level, "feed %s skipped this time, its cursor kept: %s", url, exc)
                failed[url] = exc
                continue
            feeds[url] = new_state
            skipped += bad
            for post in entries:
                if post.native_id not in taken:
                    taken.add(post.native_id)
                    posts.append(post)
        if failed and len(failed) == len(self.urls):
            raise _worst(self.name, list(failed.values()))
        return Batch(
            posts=posts,
            cursor={"v": _CURSOR_VERSION, "feeds": {u: feeds[u] for u in self.urls if u in feeds}},
            skipped=skipped,
            errors=[f"{exc} (feed {url}, skipped this time)" for url, exc in failed.items()],
        )

    # -- one feed ---------------------------------------------------------------------------
    def _fetch_feed(
        self, url: str, state: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[SourcePost], int]:
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        try:
            response = self._session.get(url, headers=headers, timeout=self._timeout_s)
        except requests.Timeout as exc:
            raise SourceUnavailable(
                self.name, f"{url} timed out after {self._timeout_s:g}s"
            ) from exc
        except requests.RequestException as exc:
            raise SourceUnavailable(self.name, f"{url}: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 304:
            return dict(state), [], 0
        if status == 429:
            raise RateLimited(self.name, _retry_after(response, self._clock()), f"{url} said 429")
        if status in (401, 403):
            raise AuthError(self.name, f"{url} refused access (HTTP {status})")
        if status >= 500 or status in (408, 425):
            raise SourceUnavailable(self.name, f"{url} answered HTTP {status}")
        if status != 200:
            raise SourceError(self.name, f"{url} answered HTTP {status}")
        parsed = feedparser.parse(
            response.content,
            response_headers={
                "content-type": response.headers.get("content-type", "application/xml"),
                "content-location": response.url,
            },
        )
        if parsed.get("bozo") and not parsed.entries:
            reason = type(parsed.get("bozo_exception")).__name__
            raise MalformedResponse(self.name, f"{url} is not a feed ({reason})")
        if parsed.get("bozo"):
            log.info(
                "%s: %s parsed with problems (%s)", self.name, url, parsed.get("bozo_exception")
            )
        seen = list(state.get("seen") or [])
        known = set(seen)
        posts: list[SourcePost] = []
        skipped = 0
        current: list[str] = []
        for entry in parsed.entries:
            try:
                post = self._to_post(entry, parsed.feed, url)
            except (KeyError, TypeError, ValueError) as exc:
                skipped += 1
                log.info("%s: skipped an unreadable entry of %s (%s)", self.name, url, exc)
                continue
            current.append(post.native_id)
            if post.native_id in known:
                continue
            known.add(post.native_id)
            seen.append(post.native_id)
            if self._wanted(post):
                posts.append(post)
        bound = max(self._max_seen, 2 * len(current))
        new_state: dict[str, Any] = {"seen": seen[-bound:]}
        if response.headers.get("etag"):
            new_state["etag"] = response.headers["etag"]
        if response.headers.get("last-modified"):
            new_state["modified"] = response.headers["last-modified"]
        return new_state, posts, skipped

    def _wanted(self, post: SourcePost) -> bool:
        return not self._terms or any(t.search(post.text) for t in self._terms)

    def _to_post(self, entry: Any, feed: Any, url: str) -> SourcePost:
        title = _plain(entry.get("title") or "")
        summary = _plain(entry.get("summary") or "")
        link = entry.get("link")
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        created_at = (
            datetime.fromtimestamp(calendar.timegm(published), UTC)
            if isinstance(published, time.struct_time)
            else self._clock()
        )
        native_id = _identity(entry.get("id"), link, title, entry.get("published"), url)
        feed_title = _plain(feed.get("title") or "") or urlsplit(url).netloc
        author_name = _plain(entry.get("author") or "")
        author = (
            Author(native_id=f"{url}#{author_name}", handle=author_name, display_name=author_name)
            if author_name
            else Author(native_id=url, handle=feed_title, display_name=feed_title)
        )
        text = title if not summary or summary == title else f"{title}\n\n{summary}"
        lang = entry.get("language") or feed.get("language")
        if not text:
            raise ValueError("entry has neither title nor summary")
        return SourcePost(
            platform=self.platform,
            native_id=native_id,
            text=text,
            author=author,
            created_at=created_at,
            url=link,
            lang=str(lang).split("-")[0].lower() if lang else None,
        )


# --------------------------------------------------------------------------------- helpers


def _identity(entry_id: Any, link: Any, title: str, published: Any, url: str) -> str:
    if entry_id:
        entry_id = str(entry_id).strip()
        return entry_id if ":" in entry_id else f"{url}#{entry_id}"
    if link:
        return str(link).strip()
    digest = hashlib.sha256(f"{title}\x00{published or ''}".encode()).hexdigest()[:24]
    return f"{url}#sha256:{digest}"


def _plain(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def _retry_after(response: requests.Response, now: datetime) -> float:
    value = response.headers.get("retry-after", "")
    if value.strip().isdigit():
        return float(value)
    try:
        return (parsedate_to_datetime(value) - now).total_seconds()
    except (TypeError, ValueError):
        return 60.0


def _load_cursor(cursor: Cursor | None) -> dict[str, dict[str, Any]]:
    if not cursor or cursor.get("v") != _CURSOR_VERSION:
        return {}
    feeds = cursor.get("feeds") or {}
    return {str(u): dict(s) for u, s in feeds.items() if isinstance(s, Mapping)}


def _worst(source: str, errors: list[SourceError]) -> SourceError:
    """Every feed failed: the error that tells the poller the most about waiting."""
    limited = [e for e in errors if isinstance(e, RateLimited)]
    if limited:
        return RateLimited(source, max(e.retry_after_s for e in limited), "every feed said 429")
    prefix = f"source {source!r}: "
    for kind in (SourceUnavailable, AuthError, MalformedResponse, SourceError):
        match = [e for e in errors if isinstance(e, kind)]
        if match:
            first = str(match[0]).removeprefix(prefix)
            return kind(source, f"all {len(errors)} feeds failed; first: {first}")
    raise AssertionError("unreachable: errors is never empty")
