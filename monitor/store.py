"""Storing posts, authors, matches and cursors. Functions take a session and never commit.

The caller owns the transaction (STYLE 6): the poller stores a batch's posts and advances the
source's cursor in one ``session.begin()`` block, so a crash loses or repeats nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from monitor.db import in_chunks
from monitor.models import Author, BrandAccount, EntityMatch, Post, SourceCursor
from sources.base import Author as SourceAuthor
from sources.base import SourcePost

__all__ = [
    "author_ids",
    "insert_matches",
    "insert_posts",
    "load_cursor",
    "load_posts",
    "lock_platforms",
    "save_cursor",
    "seen_keys",
    "sync_brand_accounts",
]


#: The first half of the PostgreSQL advisory lock keys of :func:`lock_platforms` ("rwrc"); the
#: migrations' lock is a single bigint, a key space of its own.
_RECORD_LOCK = 0x7277_7263


def lock_platforms(session: Session, platforms: Iterable[str]) -> None:
    """Serialise, per platform, the transactions that store posts or open cases, until the
    caller's transaction ends. Take it before storing or reading any of them.

    A brand reply and the complaint it answers, stored by two transactions at once (two
    sources of one platform polled together, or a case opened by hand), must meet: the one
    that stores the complaint looks for stored replies, the one that stores the reply looks
    for cases, and under PostgreSQL's READ COMMITTED neither sees what the other has not
    committed, so both would find nothing and the case's clocks would run on for good. Here
    the second waits for the first to commit, then sees it. On PostgreSQL that is a
    transaction-level advisory lock per platform (taken in sorted order, so two batches
    holding several never deadlock; taken again by the same transaction, it does not wait);
    SQLite's ``BEGIN IMMEDIATE`` already serialises every write transaction, so there it is
    nothing. Different platforms never wait for each other (save a crc32 collision, which
    only makes them wait)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for platform in sorted(set(platforms)):
        key = zlib.crc32(platform.encode()) - (1 << 31)  # a signed int4, as PostgreSQL wants
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": _RECORD_LOCK, "key": key},
        )


def seen_keys(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (platform, native_id) pairs are already stored."""
    return {(p, n) for p, n, _ in _rows_by_key(session, Post, list(dict.fromkeys(keys)))}


def _rows_by_key(
    session: Session, model: type[Post] | type[Author], keys: Sequence[tuple[str, str]], *extra: Any
) -> Iterable[Any]:
    """``(platform, native_id, id, *extra)`` of the ``model`` rows with one of ``keys``.

    Grouped by platform as ``platform = ? AND native_id IN (...)``: SQLite walks the unique
    index for that, where a row-value ``(platform, native_id) IN (...)`` costs about twice as
    much.
    """
    by_platform: dict[str, list[str]] = {}
    for platform, native_id in keys:
        by_platform.setdefault(platform, []).append(native_id)
    for platform, native_ids in by_platform.items():
        for chunk in in_chunks(native_ids):
            yield from session.execute(
                select(model.platform, model.native_id, model.id, *extra).where(
                    model.platform == platform, model.native_id.in_(chunk)
                )
            )


def author_ids(
    session: Session, posts: Sequence[SourcePost], *, brand: set[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], int]:
    """Ids of the authors of ``posts`` by (platform, native id), created where new, reach
    refreshed.

    Plain rows, not ORM objects: on SQLite the ORM inserts one row per statement (it needs
    each new id back), so new authors go in as one executemany and their ids come back in one
    SELECT; changed follower counts go out as one executemany UPDATE.
    """
    wanted = {(p.platform, p.author.native_id): p.author for p in posts}
    ids: dict[tuple[str, str], int] = {}
    reach: list[dict[str, Any]] = []
    for key, author_id, followers in _author_rows(session, list(wanted)):
        ids[key] = author_id
        seen = wanted[key].followers
        if seen is not None and seen != followers:
            reach.append({"id": author_id, "followers": seen})
    if reach:
        session.execute(update(Author), reach)
    created = [key for key in wanted if key not in ids]
    if created:
        rows = [_author_values(key, wanted[key], brand=brand, now=now) for key in created]
        session.execute(insert(Author), rows)
        ids.update((key, author_id) for key, author_id, _ in _author_rows(session, created))
    return ids


def _author_values(
    key: tuple[str, str], author: SourceAuthor, *, brand: set[tuple[str, str]], now: datetime
) -> dict[str, Any]:
    platform, native_id = key
    return {
        "platform": platform,
        "native_id": native_id,
        "handle": author.handle,
        "display_name": author.display_name,
        "followers": author.followers,
        "is_brand": (platform, author.handle.lower()) in brand,
        "first_seen_at": now,
    }


def _author_rows(
    session: Session, keys: Sequence[tuple[str, str]]
) -> Iterable[tuple[tuple[str, str], int, int | None]]:
    for platform, native_id, author_id, followers in _rows_by_key(
        session, Author, keys, Author.followers
    ):
        yield (platform, native_id), author_id, followers


def insert_posts(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert new posts (column dicts, none stored yet) and return their ids by (platform,
    native id): one executemany and one SELECT, where the ORM would send a statement a row."""
    if not rows:
        return {}
    session.execute(insert(Post), list(rows))
    keys = [(row["platform"], row["native_id"]) for row in rows]
    return {(p, n): post_id for p, n, post_id in _rows_by_key(session, Post, keys)}


def insert_matches(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert entity matches (``post_id``, ``entity_id``, ``term``) in one executemany."""
    if rows:
        session.execute(insert(EntityMatch), list(rows))


def load_posts(session: Session, ids: Sequence[int]) -> dict[int, Post]:
    """Posts (with their authors) by id, for the few that later code needs as objects.

    ``populate_existing``: an author already in the session may predate the executemany that
    refreshed its reach in :func:`author_ids`.
    """
    posts: dict[int, Post] = {}
    for chunk in in_chunks(list(ids)):
        rows = session.scalars(
            select(Post).where(Post.id.in_(chunk)).execution_options(populate_existing=True)
        )
        posts.update((post.id, post) for post in rows)
    return posts


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
