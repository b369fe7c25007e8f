"""The bulk writers the pipeline uses (executemany, not one ORM INSERT a row), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import outbox, store
from monitor.cases import Opening, open_cases
from monitor.models import Author, CaseEvent, CaseStatus, Outbox, OutboxStatus, Post
from sources.base import Author as SourceAuthor
from sources.base import SourcePost

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _post(native_id: str, handle: str, followers: int | None = 10) -> SourcePost:
    return SourcePost(
        platform="x",
        native_id=native_id,
        text=f"post {native_id}",
        author=SourceAuthor(native_id=f"id-{handle}", handle=handle, followers=followers),
        created_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    )


def _values(post: SourcePost, author_id: int) -> dict[str, Any]:
    return {
        "platform": post.platform,
        "native_id": post.native_id,
        "source": "test",
        "author_id": author_id,
        "text": post.text,
        "created_at": post.created_at,
        "fetched_at": NOW,
    }


def test_author_ids_create_new_and_refresh_reach(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = store.author_ids(
            s, [_post("1", "ann"), _post("2", "NovaBrew")], brand={("x", "novabrew")}, now=NOW
        )
    with sessions.begin() as s:
        again = store.author_ids(
            s,
            [_post("3", "ann", followers=99), _post("4", "bob"), _post("5", "NovaBrew", None)],
            brand={("x", "novabrew")},
            now=NOW,
        )
    assert again[("x", "id-ann")] == first[("x", "id-ann")]
    assert set(again) == {("x", "id-ann"), ("x", "id-bob"), ("x", "id-NovaBrew")}
    with sessions() as s:
        authors = {a.handle: a for a in s.scalars(select(Author))}
    assert len(authors) == 3
    assert authors["ann"].followers == 99  # refreshed
    assert authors["NovaBrew"].followers == 10  # an unknown reach keeps the known one
    assert authors["NovaBrew"].is_brand and not authors["bob"].is_brand
    assert authors["bob"].first_seen_at == NOW


def test_insert_posts_returns_ids_and_load_posts_reads_them(
    sessions: sessionmaker[Session],
) -> None:
    posts = [_post("10", "ann"), _post("11", "bob")]
    with sessions.begin() as s:
        authors = store.author_ids(s, posts, brand=set(), now=NOW)
        ids = store.insert_posts(s, [_values(p, authors[("x", p.author.native_id)]) for p in posts])
        store.insert_matches(s, [{"post_id": ids[("x", "10")], "entity_id": "e", "term": "t"}])
        loaded = store.load_posts(s, list(ids.values()))
        assert {loaded[i].native_id for i in ids.values()} == {"10", "11"}
        assert loaded[ids[("x", "11")]].author.handle == "bob"
        assert store.seen_keys(s, [("x", "10"), ("x", "12")]) == {("x", "10")}
    with sessions() as s:
        post = s.scalars(select(Post).where(Post.native_id == "10")).one()
        assert [(m.entity_id, m.term) for m in post.matches] == [("e", "t")]
        assert post.is_brand_response is False and post.kind == "post"


def test_open_cases_in_order_with_their_opened_events(sessions: sessionmaker[Session]) -> None:
    posts = [_post("20", "ann"), _post("21", "bob"), _post("22", "cy")]
    with sessions.begin() as s:
        authors = store.author_ids(s, posts, brand=set(), now=NOW)
        ids = store.insert_posts(s, [_values(p, authors[("x", p.author.native_id)]) for p in posts])
        rows = store.load_posts(s, list(ids.values()))
        order = [ids[("x", "22")], ids[("x", "20")]]
        cases = open_cases(
            s,
            [
                Opening(rows[order[0]], "e", "support", "high", "alice", {"route": "r"}),
                Opening(rows[order[1]], "e", "devices", "normal"),
            ],
            now=NOW,
        )
        assert [c.post_id for c in cases] == order
        assert [c.owner for c in cases] == ["alice", None]
        assert all(c.status == CaseStatus.OPEN for c in cases)
        assert cases[0].opened_at == posts[2].created_at  # the clock starts when they posted
        # ``events`` reads the trail from the database, in this same transaction.
        assert [(e.kind, e.actor) for e in cases[0].events] == [("opened", "replywatch")]
        assert cases[0].events[0].detail == {
            "entity": "e",
            "team": "support",
            "severity": "high",
            "owner": "alice",
            "route": "r",
        }
    with sessions() as s:
        assert len(s.scalars(select(CaseEvent)).all()) == 2
    with sessions.begin() as s:
        assert open_cases(s, [], now=NOW) == []


def test_enqueue_values_skips_taken_keys(sessions: sessionmaker[Session]) -> None:
    def row(key: str) -> dict[str, Any]:
        return {
            "key": key,
            "kind": "notice",
            "target": "#support",
            "payload": {"text": key},
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "created_at": NOW,
            "due_at": NOW,
        }

    with sessions.begin() as s:
        assert outbox.enqueue_values(s, [row("a"), row("b"), row("a")]) == ["a", "b"]
    with sessions.begin() as s:
        assert outbox.enqueue_values(s, [row("b"), row("c")]) == ["c"]
    with sessions() as s:
        stored = {o.key: o for o in s.scalars(select(Outbox))}
    assert sorted(stored) == ["a", "b", "c"]
    assert stored["c"].payload == {"text": "c"} and stored["c"].status == OutboxStatus.PENDING
