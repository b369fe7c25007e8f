"""Storing posts, authors, matches and cursors. Functions take a session and never commit.

The caller owns the transaction (STYLE 6): the poller stores a batch's posts and advances the
source's cursor in one ``session.begin()`` block, so a crash loses or repeats nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from monitor.models import Author, BrandAccount, Post, SourceCursor
from sources.base import SourcePost

__all__ = [
    "get_or_create_authors",
    "load_cursor",
    "save_cursor",
    "seen_keys",
    "sync_brand_accounts",
]

_CHUNK = 400  # keeps IN (...) lists under SQLite's and PostgreSQL's parameter limits


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def seen_keys(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (platform, native_id) pairs are already stored."""
    wanted = list(dict.fromkeys(keys))
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(Post.platform, Post.native_id).where(
                tuple_(Post.platform, Post.native_id).in_(chunk)
            )
        )
        found.update((p, n) for p, n in rows)
    return found


def get_or_create_authors(
    session: Session, posts: Sequence[SourcePost], *, brand: set[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], Author]:
    """Authors of ``posts`` by (platform, native id), created where new, reach refreshed."""
    wanted = {(p.platform, p.author.native_id): p.author for p in posts}
    existing: dict[tuple[str, str], Author] = {}
    for chunk in _chunks(list(wanted)):
        rows = session.scalars(
            select(Author).where(tuple_(Author.platform, Author.native_id).in_(chunk))
        )
        existing.update({(a.platform, a.native_id): a for a in rows})
    for key, seen in wanted.items():
        author = existing.get(key)
        if author is None:
            author = Author(
                platform=key[0],
                native_id=key[1],
                handle=seen.handle,
                display_name=seen.display_name,
                followers=seen.followers,
                is_brand=(key[0], seen.handle.lower()) in brand,
                first_seen_at=now,
            )
            session.add(author)
            existing[key] = author
        elif seen.followers is not None:
            author.followers = seen.followers
    return existing


def load_cursor(session: Session, source: str) -> dict[str, Any] | None:
    row = session.get(SourceCursor, source)
    return dict(row.cursor) if row is not None else None


def save_cursor(session: Session, source: str, cursor: Mapping[str, Any], *, now: datetime) -> None:
    row = session.get(SourceCursor, source)
    if row is None:
        session.add(SourceCursor(source=source, cursor=dict(cursor), updated_at=now))
    else:
        row.cursor = dict(cursor)
        row.updated_at = now


def sync_brand_accounts(
    session: Session, accounts: Mapping[str, Sequence[tuple[str, str | None, str | None]]]
) -> None:
    """Mirror the configured brand accounts ``{platform: [(handle, native_id, team)]}``."""
    rows = {(a.platform, a.handle): a for a in session.scalars(select(BrandAccount))}
    for platform, items in accounts.items():
        for handle, native_id, team in items:
            key = (platform, handle.lower())
            row = rows.get(key)
            if row is None:
                session.add(
                    BrandAccount(platform=platform, handle=key[1], native_id=native_id, team=team)
                )
            else:
                row.native_id = native_id or row.native_id
                row.team = team
