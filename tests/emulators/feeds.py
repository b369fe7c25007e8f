"""A local feed server: RSS 2.0 and Atom documents the test edits, with ETag/Last-Modified.

Each feed lives at a path (``/blog/rss.xml``); entries are added with :meth:`FeedEmulator.add_entry`
and the document is rendered on each request. Conditional GETs get ``304 Not Modified`` when
``If-None-Match`` or ``If-Modified-Since`` match. Faults come from the base class.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from tests.emulators.http import Emulator, Request, Response

__all__ = ["FeedEmulator"]


@dataclass
class _Entry:
    title: str
    link: str | None
    guid: str | None
    published: datetime | None
    summary: str
    author: str | None


@dataclass
class _Feed:
    kind: str  # "rss" | "atom"
    title: str
    language: str | None
    entries: list[_Entry] = field(default_factory=list)
    raw: bytes | None = None
    #: Send ETag / Last-Modified (some servers send neither).
    validators: bool = True
    changed_at: datetime = field(default_factory=lambda: datetime(2026, 11, 20, tzinfo=UTC))


class FeedEmulator(Emulator):
    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, _Feed] = {}
        self.route("GET", r"/(?P<path>.+)", self._serve)

    def add_feed(
        self,
        path: str,
        *,
        kind: str = "rss",
        title: str = "Example feed",
        language: str | None = "en-us",
        validators: bool = True,
    ) -> str:
        """Create an empty feed; returns its URL."""
        self.feeds[path.strip("/")] = _Feed(kind, title, language, validators=validators)
        return f"{self.url}/{path.strip('/')}"

    def add_entry(
        self,
        path: str,
        title: str,
        *,
        link: str | None = None,
        guid: str | None = None,
        published: datetime | None = None,
        summary: str = "",
        author: str | None = None,
    ) -> None:
        feed = self.feeds[path.strip("/")]
        feed.entries.insert(0, _Entry(title, link, guid, published, summary, author))
        feed.changed_at += timedelta(seconds=1)

    def set_raw(self, path: str, body: bytes) -> None:
        """Serve these bytes instead of the rendered document (a broken feed)."""
        self.feeds[path.strip("/")].raw = body

    def _serve(self, request: Request) -> Response:
        path = request.match["path"] if request.match else ""
        feed = self.feeds.get(path)
        if feed is None:
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        body = feed.raw if feed.raw is not None else _render(feed)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = format_datetime(feed.changed_at, usegmt=True)
        headers = {"Content-Type": f"application/{feed.kind}+xml; charset=utf-8"}
        if feed.validators:
            headers |= {"ETag": etag, "Last-Modified": modified}
            if request.headers.get("if-none-match") == etag or (
                "if-none-match" not in request.headers
                and request.headers.get("if-modified-since") == modified
            ):
                return Response(304, b"", headers)
        return Response(200, body, headers)


def _render(feed: _Feed) -> bytes:
    if feed.kind == "atom":
        return _atom(feed).encode("utf-8")
    return _rss(feed).encode("utf-8")


def _rss(feed: _Feed) -> str:
    items = []
    for e in feed.entries:
        parts = [f"<title>{escape(e.title)}</title>"]
        if e.link:
            parts.append(f"<link>{escape(e.link)}</link>")
        if e.guid:
            permalink = "true" if e.guid.startswith("http") else "false"
            parts.append(f'<guid isPermaLink="{permalink}">{escape(e.guid)}</guid>')
        if e.published:
            parts.append(f"<pubDate>{format_datetime(e.published, usegmt=True)}</pubDate>")
        if e.summary:
            parts.append(f"<description>{escape(e.summary)}</description>")
        if e.author:
            parts.append(f"<dc:creator>{escape(e.author)}</dc:creator>")
        items.append("<item>" + "".join(parts) + "</item>")
    language = f"<language>{feed.language}</language>" if feed.language else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(feed.title)}</title><link>https://example.com/</link>"
        f"<description>test</description>{language}" + "".join(items) + "</channel></rss>"
    )


def _atom(feed: _Feed) -> str:
    entries = []
    for e in feed.entries:
        when = (e.published or feed.changed_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [f"<title>{escape(e.title)}</title>", f"<updated>{when}</updated>"]
        if e.guid:
            parts.append(f"<id>{escape(e.guid)}</id>")
        if e.link:
            parts.append(f'<link rel="alternate" href="{escape(e.link)}"/>')
        if e.published:
            parts.append(f"<published>{when}</published>")
        if e.summary:
            parts.append(f'<summary type="html">{escape(e.summary)}</summary>')
        if e.author:
            parts.append(f"<author><name>{escape(e.author)}</name></author>")
        entries.append("<entry>" + "".join(parts) + "</entry>")
    lang = f' xml:lang="{feed.language}"' if feed.language else ""
    updated = feed.changed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>'
        f"<title>{escape(feed.title)}</title><id>urn:example:feed</id>"
        f"<updated>{updated}</updated>" + "".join(entries) + "</feed>"
    )
